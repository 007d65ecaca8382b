/// The error thrown by every Liaison library call.
///
/// It names what went wrong (``code``), where (record, field, file and row, node and sequence), and
/// how to go on (``hint``). The command line prints it as one line; the server turns it into an HTTP
/// status at its edge.
public struct LiaisonError: Error, Sendable, Equatable {
    /// What kind of failure this is.
    public enum Code: String, Sendable, Equatable {
        /// A value failed validation: a bad phone, an unknown country, a missing field.
        case invalidValue = "invalid-value"
        /// An input file could not be read or parsed.
        case invalidFile = "invalid-file"
        /// An input file had invalid rows; ``LiaisonError/rowErrors`` lists every one.
        case invalidRows = "invalid-rows"
        /// The record, node or file asked for does not exist.
        case notFound = "not-found"
        /// A short record id matches more than one record.
        case ambiguous
        /// The change would break a rule of the directory (e.g. remove an agency that has contacts).
        case conflict
        /// The data folder is missing, already initialised, or its keys do not match.
        case nodeFolder = "node-folder"
        /// A commit failed verification: bad signature, broken chain, digest mismatch.
        case verification
        /// The database reported an error.
        case storage
        /// Another node could not be reached, or did not answer as a Liaison node does.
        case network
        /// The other end is not who the roster says, or may not ask for this.
        case unauthorized
        /// The caller is known, and what it asks for is beyond what it may read.
        case forbidden
        /// The user interrupted the command (Ctrl-C, SIGTERM); the message says what was kept.
        case interrupted
        /// A request was larger than the other end accepts: send less at a time.
        case tooLarge = "too-large"
        /// The other end is busy with the same work for this caller: try again shortly.
        case busy
    }

    public var code: Code
    public var message: String
    public var field: String?
    public var value: String?
    public var record: String?
    public var file: String?
    public var row: Int?
    public var hint: String?
    /// For ``Code/invalidRows``: every bad row, in file order.
    public var rowErrors: [RowError]

    public init(
        _ code: Code, _ message: String, field: String? = nil, value: String? = nil, record: String? = nil,
        file: String? = nil, row: Int? = nil, hint: String? = nil, rowErrors: [RowError] = []
    ) {
        self.code = code
        self.message = message
        self.field = field
        self.value = value
        self.record = record
        self.file = file
        self.row = row
        self.hint = hint
        self.rowErrors = rowErrors
    }

    package static func invalid(_ field: String, _ value: String, _ reason: String, hint: String? = nil) -> LiaisonError {
        LiaisonError(.invalidValue, reason, field: field, value: value, hint: hint)
    }
}

/// One bad row of an input file: `FILE:ROW: field: reason`.
///
/// For CSV the row is numbered as in a spreadsheet (the header is row 1); for JSON it is the record's
/// path, such as `contacts[3]`.
public struct RowError: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var row: String
    public var field: String
    public var reason: String

    public init(file: String, row: String, field: String, reason: String) {
        self.file = file
        self.row = row
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(file):\(row): \(field): \(reason)" }
}

extension LiaisonError: CustomStringConvertible {
    public var description: String {
        var text = ""
        if let file { text += row.map { "\(file):\($0): " } ?? "\(file): " }
        if let record { text += "\(record): " }
        if let field { text += "\(field): " }
        text += message
        if let value, !message.contains("\"\(value)\"") { text += " (got \"\(value)\")" }
        for rowError in rowErrors { text += "\n  \(rowError)" }
        if let hint { text += "\nhint: \(hint)" }
        return text
    }
}
