import Crypto
import Foundation
import GRDB

extension Directory {
    /// A SHA-256 over the replicated records in a canonical order: equal on nodes that hold the same
    /// commits, different as soon as one field differs (docs/PROTOCOL.md, "Digest").
    ///
    /// Per kind (agency, person, channel, designation, then duplicate decisions if there are any) and per record by id, every column except the
    /// local row id, each as a type byte and its value. The search index and the log are left out:
    /// they are derived or local.
    public func digest() throws(LiaisonError) -> String {
        try read { db in
            var hasher = SHA256()
            hasher.update(data: Array("liaison/digest/v1".utf8) + [0])
            // Notes, evaluations and links are left out: each node holds those it is entitled to.
            for entity in Entity.allCases where entity.isDirectory {
                // Decisions and groups came with later versions of the protocol: a directory
                // without any keeps the digest it had.
                if entity == .duplicateDecision || entity == .sharingGroup,
                    try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(entity.table))")!
                {
                    continue
                }
                let columns = try db.columns(in: entity.table).map(\.name).filter { $0 != "local_id" }.sorted()
                hasher.update(data: Self.digestBytes(entity.rawValue))
                let rows = try Row.fetchCursor(db, sql: "SELECT \(columns.joined(separator: ", ")) FROM \(entity.table) ORDER BY id")
                // The store leaves out stamps equal to the claim; the digest spells them all.
                let stamps = columns.firstIndex(of: "stamps")
                while let row = try rows.next() {
                    for (index, value) in row.databaseValues.enumerated() {
                        if index == stamps {
                            let full = try ChangeApplier.digestStamps(row["stamps"], claim: row["claim"], entity: entity)
                            hasher.update(data: Self.digestBytes(full.databaseValue))
                        } else {
                            hasher.update(data: Self.digestBytes(value))
                        }
                    }
                }
            }
            return hasher.finalize().hexString
        }
    }

    private static func digestBytes(_ value: DatabaseValue) -> [UInt8] {
        var writer = ByteWriter(capacity: 32)
        switch value.storage {
        case .null: writer.u8(0)
        case .int64(let number):
            writer.u8(1)
            writer.u64(UInt64(bitPattern: number))
        case .double(let number):
            writer.u8(2)
            writer.u64(number.bitPattern)
        case .string(let text):
            writer.u8(3)
            writer.text(text)
        case .blob(let data):
            writer.u8(4)
            writer.u32(UInt32(data.count))
            writer.raw(data)
        }
        return writer.bytes
    }

    private static func digestBytes(_ text: String) -> [UInt8] {
        var writer = ByteWriter()
        writer.u8(3)
        writer.text(text)
        return writer.bytes
    }
}
