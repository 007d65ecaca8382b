import Foundation
import LiaisonCore

/// Runs a program to its end and throws if it fails.
func run(_ program: String, _ arguments: [String], in folder: URL) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    process.currentDirectoryURL = folder
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw LiaisonError(.storage, "\(program) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
    }
}

/// The tool an agency might use instead: a git repository of one JSON file per contact and agency,
/// in one commit signed with an SSH Ed25519 key, carried as a `git bundle`. Receiving is
/// `git clone` from the bundle (which checks the objects out) and `git verify-commit`.
/// Returns the receiving time and the bundle's size.
func gitPeer(of directory: Directory, in folder: URL) throws -> (seconds: Double, bytes: Int) {
    try? FileManager.default.removeItem(at: folder)
    let repository = folder.appending(path: "sender")
    try FileManager.default.createDirectory(at: repository.appending(path: "contacts"), withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: repository.appending(path: "agencies"), withIntermediateDirectories: true)
    let document = try JSONDecoder().decode(DirectoryDocument.self, from: try directory.export(.json))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    for agency in document.agencies {
        try encoder.encode(agency).write(to: repository.appending(path: "agencies/\(agency.id?.lowercasedString ?? UUID().uuidString).json"))
    }
    for contact in document.contacts {
        try encoder.encode(contact).write(to: repository.appending(path: "contacts/\(contact.id?.lowercasedString ?? UUID().uuidString).json"))
    }
    try run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", "key"], in: folder)
    let publicKey = try String(contentsOf: folder.appending(path: "key.pub"), encoding: .utf8)
    try Data("bench@example \(publicKey)".utf8).write(to: folder.appending(path: "allowed-signers"))
    let git = "/usr/bin/git"
    let identity = ["-c", "user.name=Bench", "-c", "user.email=bench@example", "-c", "gpg.format=ssh", "-c", "user.signingkey=\(folder.path)/key"]
    try run(git, ["init", "-q", "-b", "main"], in: repository)
    try run(git, ["add", "-A"], in: repository)
    try run(git, identity + ["commit", "-q", "-S", "-m", "Directory"], in: repository)
    try run(git, ["bundle", "create", "-q", "../directory.bundle", "--all"], in: repository)
    let bytes = (try FileManager.default.attributesOfItem(atPath: folder.appending(path: "directory.bundle").path)[.size] as? NSNumber)?.intValue ?? 0
    // The best of three receives into new folders, each after the disk has caught up with earlier
    // writes: a clone writes one file a contact, and its time depends on what the disk is still
    // doing. The best is the peer's limit here.
    var times: [Double] = []
    for attempt in 1...3 {
        sync()
        times.append(try seconds {
            try run(git, ["clone", "-q", "directory.bundle", "receiver-\(attempt)"], in: folder)
            try run(
                git, ["-c", "gpg.ssh.allowedSignersFile=\(folder.path)/allowed-signers", "verify-commit", "HEAD"],
                in: folder.appending(path: "receiver-\(attempt)"))
        })
    }
    return (times.min() ?? 0, bytes)
}

