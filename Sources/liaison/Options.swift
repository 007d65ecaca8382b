public import ArgumentParser
import Foundation
public import LiaisonCore
public import LiaisonServer
import LiaisonSync

/// The data folder option every command takes.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The node's data folder (default: $LIAISON_HOME, else ~/.liaison).", valueName: "dir"))
    var data: String?

    var folder: NodeFolder { NodeFolder.resolve(data) }

    /// Opens the node for a command that signs changes.
    ///
    /// Notes this node wrote whose retention has ended are purged first, on every node.
    func open() throws(LiaisonError) -> Directory {
        let directory = try folder.open(noticeCopy: { note($0) })
        // The command goes on whatever happens here: the purge is tried again next time.
        do {
            for purge in try directory.purgeExpiredNotes() {
                note("Purged note \(purge.noteID.lowercasedString): its retention ended.\(purge.everywhere ? " The purge goes to every node that holds it." : "")")
            }
        } catch {
            note("warning: notes whose retention ended could not be purged now: \(error.message)")
        }
        directory.clearErasedPagesIfPending()
        return directory
    }

    /// Opens the node for a command that only reads: it needs neither the signing key nor a
    /// writable folder.
    func openForReading() throws(LiaisonError) -> Directory { try folder.openForReading() }
}

extension DataOptions {
    /// Opens the node for a command that may show intelligence, which goes to the audit log:
    /// with write access when the user has it; else for reading, and `audited` is false, so that
    /// the command leaves the notes out.
    func openForConsulting() throws(LiaisonError) -> (directory: Directory, audited: Bool) {
        do {
            return (try open(), true)
        } catch where error.code == .nodeFolder {
            guard let directory = try? openForReading() else { throw error }
            return (directory, false)
        }
    }
}

/// The notes a page shows: recorded in the audit log with the page's subject, or left out, with
/// a word why, when the node was opened without the access that recording needs.
func consulted(_ notes: [NoteSummary], on subject: String, in directory: Directory, audited: Bool, reason: String?) throws -> [NoteSummary] {
    guard !notes.isEmpty else { return notes }
    guard audited else {
        note("Notes are left out: showing them is recorded in the node's audit log, which needs write access to the node's folder.")
        return []
    }
    try directory.audit(.pageShow, actor: Directory.localUser, records: [subject] + notes.map(\.id.lowercasedString), reason: reason)
    return notes
}

/// `--reason` for commands that show intelligence.
struct AuditOptions: ParsableArguments {
    @Option(help: "Why you consult this; kept with the entry in the node's audit log.")
    var reason: String?
}

/// `--json` for read commands.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false
}

/// Runs a command body, printing a library error as one clear message and exiting non-zero.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as LiaisonError where error.code == .interrupted {
        // Not a failure: `stoppingOnInterrupt` says what was kept.
        throw error
    } catch let error as LiaisonError {
        printError(error)
        throw ExitCode(error.code == .verification ? 2 : 1)
    }
}

/// Prints an error on standard error, its control characters shown as `?`: a value it quotes may
/// come from a file, a variable or a peer.
func printError(_ error: some Error) {
    FileHandle.standardError.write(Data("error: \(String(describing: error).terminalSafe)\n".utf8))
}

/// Prints a notice for the officer on standard error, apart from a command's output.
func note(_ text: String) {
    FileHandle.standardError.write(Data("\(text.terminalSafe)\n".utf8))
}

/// Prints a value as pretty JSON with sorted keys.
func printJSON(_ value: some Encodable) throws {
    FileHandle.standardOutput.write(try JSONOutput.encode(value))
}

extension AgencyKind: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(validating: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension CrimeArea: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(validating: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension FocalFunction: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(validating: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension ExportFormat: ExpressibleByArgument {}

extension AccountRole: ExpressibleByArgument {}

extension SourceReliability: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(validating: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension InformationCredibility: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(validating: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension Marking: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(validating: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension DataSubject: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(validating: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension NoteRelation: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(validating: argument) }
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension NoteNature: EnumerableFlag {}

extension VocabularyTerm {
    init(validating text: String) throws { self = try Self.parse(text) }
}

/// A short form of an id for tables: its last 8 hex digits (``Foundation/UUID/shortID``).
func short(_ id: UUID) -> String { id.shortID }

/// "1 commit", "3 commits".
