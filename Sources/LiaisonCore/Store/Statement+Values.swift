import Foundation
package import GRDB
import GRDBSQLite

extension Statement {
    /// Runs an INSERT, UPDATE or DELETE with `values` bound to its parameters in order.
    ///
    /// The hot writes of imports, bundle imports and indexing use this: GRDB's
    /// `execute(arguments:)` spends about 3 µs per statement of 15 values building and binding
    /// its `StatementArguments`, several times what SQLite takes to insert the row. This binds
    /// straight to SQLite. It does not tell GRDB's transaction observers of the write, which
    /// Liaison does not use, so it is only for writes inside a transaction.
    package func run(_ values: [DatabaseValue]) throws {
        for (offset, value) in values.enumerated() { try bind(value, at: Int32(offset + 1)) }
        try step(bound: values.count)
    }

    /// Binds `value` to the parameter at `index` (the first is 1), for ``step(bound:)``: a
    /// caller with values in several arrays binds them without joining the arrays first.
    package func bind(_ value: DatabaseValue, at index: Int32) throws {
        let statement = sqliteStatement
        let code: Int32
        switch value.storage {
        case .null:
            code = sqlite3_bind_null(statement, index)
        case .int64(let number):
            code = sqlite3_bind_int64(statement, index, number)
        case .double(let number):
            code = sqlite3_bind_double(statement, index, number)
        case .string(var text):
            code = text.withUTF8 { bytes in
                sqlite3_bind_text(statement, index, bytes.baseAddress, Int32(bytes.count), Self.transient)
            }
        case .blob(let data):
            code = data.withUnsafeBytes { bytes in
                sqlite3_bind_blob(statement, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), Self.transient)
            }
        }
        guard code == SQLITE_OK else { throw Self.error(code, statement, sql) }
    }

    /// Runs the statement once `count` values are bound with ``bind(_:at:)``: as many as it has
    /// parameters, since a binding of an earlier run would otherwise stay.
    package func step(bound count: Int) throws {
        let statement = sqliteStatement
        guard Int(sqlite3_bind_parameter_count(statement)) == count else {
            throw DatabaseError(
                resultCode: .SQLITE_MISUSE, message: "\(count) values for \(sqlite3_bind_parameter_count(statement)) parameters", sql: sql)
        }
        // Every parameter is bound, so no binding of an earlier run is left to clear; the reset
        // after the step leaves the statement ready for the next run.
        defer { sqlite3_reset(statement) }
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE || code == SQLITE_ROW else { throw Self.error(code, statement, sql) }
    }

    private static func error(_ code: Int32, _ statement: SQLiteStatement, _ sql: String) -> DatabaseError {
        let message = sqlite3_errmsg(sqlite3_db_handle(statement)).map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
    }

    /// Tells SQLite to copy bound text and blobs, which live only while they are bound.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
