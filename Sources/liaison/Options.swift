public import ArgumentParser
import Foundation
public import LiaisonCore

/// The data folder option every command takes.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The node's data folder (default: $LIAISON_HOME, else ~/.liaison).", valueName: "dir"))
    var data: String?

    var folder: NodeFolder { NodeFolder.resolve(data) }

    /// Opens the node for a command that signs changes.
    func open() throws(LiaisonError) -> Directory { try folder.open(noticeCopy: { note($0) }) }

    /// Opens the node for a command that only reads: it needs neither the signing key nor a
    /// writable folder.
    func openForReading() throws(LiaisonError) -> Directory { try folder.openForReading() }
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
