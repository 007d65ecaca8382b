import Crypto
import Foundation
import LiaisonCore

/// The audit entry's cost: each step of an entry naming 20 notes, as a search's does, over many
/// entries; then searches with and without their entry over `--notes` notes.
func benchmarkAudit() throws {
    let count = option("--notes").flatMap(Int.init) ?? 20_000
    let node = try NodeFolder(url: workFolder.appending(path: "audit")).initialize(name: "audit", agency: "Bench")
    let written = try writeNotes(count, into: node) { _ in .federation }
    print("audit: wrote \(count) notes in \(String(format: "%.1f", written)) s")

    let records = (0..<20).map { _ in UUID() }
    try node.audit(.noteSearch, actor: "user:bench", records: records.map(\.lowercasedString))
    let entry = try node.auditEntries(limit: 1)[0]
    let keyed = HMAC<SHA256>(key: try node.requireAuditRecorder().chainKey)
    let link = AuditLog.link(entry, after: AuditLog.genesis, keyed: keyed)
    let encoded = AuditLog.encoded(entry)
    let repeats = 50_000
    func each(_ label: String, _ body: () throws -> Void) rethrows {
        for _ in 0..<1_000 { try body() }
        let time = try seconds { for _ in 0..<repeats { try body() } }
        print("    \(label.padding(toLength: 36, withPad: " ", startingAt: 0)) \(String(format: "%.2f µs", time / Double(repeats) * 1e6))")
    }
    print("  an entry naming 20 notes, \(AuditLog.line(entry, link: link).count) bytes, step by step, each over \(repeats):")
    each("the notes' ids formatted") { _ = records.map(\.lowercasedString) }
    each("the time formatted") { _ = Timestamp.iso8601(Date()) }
    each("the bytes its link covers") { _ = AuditLog.encoded(entry) }
    each("its link (those bytes and HMAC)") { _ = AuditLog.link(entry, after: link, keyed: keyed) }
    each("plain SHA-256 of \(encoded.count) bytes") { _ = SHA256.hash(data: encoded) }
    each("plain HMAC-SHA256 of them") { var mac = keyed; mac.update(data: encoded); _ = mac.finalize() }
    each("its line") { _ = AuditLog.line(entry, link: link, newline: true) }
    try each("the whole entry, written") { try node.audit(.noteSearch, actor: "user:bench", records: records.map(\.lowercasedString)) }

    // The floors: the entry's work in memory only, and a bare write of a line of the same size.
    let scratch = workFolder.appending(path: "audit-floor.log").path
    let descriptor = open(scratch, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
    defer { close(descriptor) }
    let line = AuditLog.line(entry, link: link, newline: true)
    var previous = link
    try benchmarkAuditCost(node, floors: [
        ("its link and line, not written", { found in
            var made = entry
            made.records = found
            previous = AuditLog.link(made, after: previous, keyed: keyed)
            _ = AuditLog.line(made, link: previous, newline: true)
        }),
        ("a bare write of \(line.count) bytes", { _ in _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } }),
    ])
}
