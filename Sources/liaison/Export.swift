import ArgumentParser
import Foundation
import LiaisonCore

extension Liaison {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export the directory as JSON (lossless), CSV, or vCard 4.0 for phones and address books.")

        @OptionGroup var data: DataOptions
        @Option(help: "json, csv or vcard.") var format: ExportFormat = .json
        @Option(help: "Only this country (ISO alpha-2).") var country: String?
        @Option(help: "Write to this file instead of standard output.") var out: String?
        @OptionGroup var audit: AuditOptions

        func run() throws {
            try reportingErrors {
                let (directory, audited) = try data.openForConsulting()
                let bytes = try directory.export(format, country: country)
                if audited {
                    var detail = ["format": format.rawValue, "file": out ?? "standard output"]
                    if let country { detail["country"] = country.uppercased() }
                    try directory.audit(.export, actor: Directory.localUser, records: [], detail: detail, reason: audit.reason)
                } else {
                    note("This export is not in the node's audit log: that needs write access to the node's folder.")
                }
                if let country, try directory.agencies(country: try directory.country(country).code).isEmpty {
                    FileHandle.standardError.write(Data("warning: no agencies or contacts in \(country.uppercased()); the export is empty\n".utf8))
                }
                guard let out else {
                    FileHandle.standardOutput.write(bytes)
                    return
                }
                var isFolder: ObjCBool = false
                if FileManager.default.fileExists(atPath: out, isDirectory: &isFolder), isFolder.boolValue {
                    throw LiaisonError(.invalidFile, "is a folder; give a file name", file: out)
                }
                // Contact details are for the officer who exports them: private to the user, like the node.
                guard FileManager.default.createFile(atPath: out, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
                    throw LiaisonError(.invalidFile, "cannot write the file (does its folder exist, and may you write there?)", file: out)
                }
                FileHandle.standardError.write(Data("Wrote \(counted(bytes.count, "byte")) to \(out)\n".utf8))
            }
        }
    }
}
