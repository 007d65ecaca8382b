import Foundation

/// The compact transport encoding of commits (docs/PROTOCOL.md, "Compact commits").
///
/// What is signed and hashed never changes: the receiver rebuilds each change's canonical bytes
/// from the compact form and checks them against the header as always. The compact form only leaves
/// out what the receiver can rebuild: change hashes when the body travels, field and group names
/// (the field tables give them), and record ids met earlier in the same commit, which become
/// back-references. Ids and random bytes are what a compressor cannot shrink. Each commit is
/// encoded on its own: a lost or damaged one spoils no other.
package enum CompactCommit {
    /// How a change travels.
    enum Form: UInt8 {
        /// Withheld or purged: its 32-byte hash only.
        case hashOnly = 0
        /// Its canonical bytes, for a change the field tables cannot describe.
        case canonical = 1
        /// Field values in table order, without names.
        case compact = 2
        /// Copies of the body sealed to the nodes it is addressed to; the change follows in one
        /// of the forms above.
        case sealed = 3
    }

    /// The smallest sealed copy: a node id, an encapsulated key, a length and a tag.
    static let minimumSealedSize = 16 + 32 + 1 + SealedBody.overhead

    /// Value tags of the compact form.
    enum Tag: UInt8 {
        case null = 0, text = 1, integer = 2, no = 3, yes = 4, list = 5
        /// Text that is a record id in canonical form, as its 16 bytes.
        case uuid = 6
        /// Text that is a record id met earlier in the stream: how far back.
        case uuidBack = 7
    }

    static let entities: [Entity] = [.agency, .person, .channel, .designation, .duplicateDecision, .note, .noteEvaluation, .noteLink, .sharingGroup, .notePurge, .proposal, .proposalDecision]

    /// Each kind's groups in canonical order, each with its fields in canonical order.
    static let layout: [Entity: [(group: String, fields: [String])]] = FieldTable.canonicalFields.mapValues { $0.map { ($0.group, $0.names) } }
}

/// The record ids a commit has carried so far, in order: both ends keep the same list.
struct CompactCommitIDs {
    private(set) var ids: [UUID] = []
    private var lastIndex: [UUID: Int] = [:]

    /// How far back `id` was last met (1 = the last id), if it was.
    func distance(to id: UUID) -> Int? {
        lastIndex[id].map { ids.count - $0 }
    }

    func id(atDistance distance: Int) -> UUID? {
        guard distance >= 1, distance <= ids.count else { return nil }
        return ids[ids.count - distance]
    }

    mutating func note(_ id: UUID) {
        lastIndex[id] = ids.count
        ids.append(id)
    }
}

/// Writes a commit in the compact form.
package struct CompactCommitEncoder {
    private var seen = CompactCommitIDs()

    /// The commit's changes in the compact form; its header and signature travel as they are.
    /// `decoded` are its changes already decoded from their bodies, where the caller has them.
    package static func encodeChanges(of commit: Commit, decoded: [Change?] = []) -> [UInt8] {
        var encoder = CompactCommitEncoder()
        return encoder.encodeChanges(of: commit, decoded: decoded)
    }

    private mutating func encodeChanges(of commit: Commit, decoded: [Change?]) -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + commit.changeBodies.reduce(0) { $0 + ($1?.count ?? 33) / 2 })
        writer.varint(UInt64(commit.changeHashes.count))
        for (index, (hash, body)) in zip(commit.changeHashes, commit.changeBodies).enumerated() {
            if let copies = commit.sealedBodies[index], !copies.isEmpty {
                writer.u8(CompactCommit.Form.sealed.rawValue)
                writer.varint(UInt64(copies.count))
                for copy in copies {
                    writer.raw(copy.recipient.bytes)
                    writer.raw(copy.encapsulatedKey)
                    writer.varint(UInt64(copy.ciphertext.count))
                    writer.raw(copy.ciphertext)
                }
            }
            guard let body else {
                writer.u8(CompactCommit.Form.hashOnly.rawValue)
                writer.raw(hash)
                continue
            }
            let change = index < decoded.count ? decoded[index] ?? (try? Change(decoding: body)) : try? Change(decoding: body)
            // Both ends note the id of every change whose bytes decode, in either form.
            defer { if let change { seen.note(change.recordID) } }
            guard let change, let compact = compactFields(change) else {
                writer.u8(CompactCommit.Form.canonical.rawValue)
                writer.varint(UInt64(body.count))
                writer.raw(body)
                continue
            }
            writer.u8(CompactCommit.Form.compact.rawValue)
            writer.u8(UInt8(CompactCommit.entities.firstIndex(of: change.entity) ?? 0))
            writeID(change.recordID, into: &writer)
            change.distribution.encode(into: &writer)
            switch change.operation {
            case .delete:
                writer.u8(2)
            case .upsert:
                writer.u8(1)
                writer.u8(compact.mask)
                for value in compact.values { write(value, into: &writer) }
            }
        }
        return writer.bytes
    }

    /// The group mask and values in table order, or nil when the change has a group or field
    /// that the tables do not list, or more groups than a mask holds.
    private func compactFields(_ change: Change) -> (mask: UInt8, values: [FieldValue])? {
        guard case .upsert(let groups) = change.operation else { return (0, []) }
        guard let layout = CompactCommit.layout[change.entity], layout.count <= 8 else { return nil }
        var mask: UInt8 = 0
        var values: [FieldValue] = []
        var carried = 0
        for (bit, entry) in layout.enumerated() {
            guard let fields = groups[entry.group] else { continue }
            guard fields.count == entry.fields.count else { return nil }
            mask |= 1 << UInt8(bit)
            carried += 1
            for name in entry.fields {
                guard let value = fields[name] else { return nil }
                values.append(value)
            }
        }
        guard carried == groups.count else { return nil }
        return (mask, values)
    }

    private func writeID(_ id: UUID, into writer: inout ByteWriter) {
        if let distance = seen.distance(to: id) {
            writer.varint(UInt64(distance))
        } else {
            writer.varint(0)
            writer.raw(id.bytes)
        }
    }

    private func write(_ value: FieldValue, into writer: inout ByteWriter) {
        switch value {
        case .null:
            writer.u8(CompactCommit.Tag.null.rawValue)
        case .text(let text):
            if let id = UUID(canonicalText: text) {
                if let distance = seen.distance(to: id) {
                    writer.u8(CompactCommit.Tag.uuidBack.rawValue)
                    writer.varint(UInt64(distance))
                } else {
                    writer.u8(CompactCommit.Tag.uuid.rawValue)
                    writer.raw(id.bytes)
                }
            } else {
                writer.u8(CompactCommit.Tag.text.rawValue)
                self.text(text, into: &writer)
            }
        case .integer(let number):
            writer.u8(CompactCommit.Tag.integer.rawValue)
            // Zigzag: small negative numbers stay short.
            writer.varint(UInt64(bitPattern: (number << 1) ^ (number >> 63)))
        case .bool(let flag):
            writer.u8(flag ? CompactCommit.Tag.yes.rawValue : CompactCommit.Tag.no.rawValue)
        case .list(let items):
            writer.u8(CompactCommit.Tag.list.rawValue)
            writer.varint(UInt64(items.count))
            for item in items { text(item, into: &writer) }
        }
    }

    private func text(_ text: String, into writer: inout ByteWriter) {
        let bytes = Array(text.utf8)
        writer.varint(UInt64(bytes.count))
        writer.raw(bytes)
    }
}

/// Reads a commit in the compact form, rebuilding each change's canonical bytes and hash.
package struct CompactCommitDecoder {
    private var seen = CompactCommitIDs()

    /// The commit of this header and signature whose changes are `changes` in the compact form,
    /// and the changes it decoded (nil where a change came as its hash or its canonical bytes).
    package static func decode(header: CommitHeader, signature: [UInt8], changes: [UInt8]) throws(LiaisonError) -> (commit: Commit, changes: [Change?]) {
        var decoder = CompactCommitDecoder()
        return try decoder.decode(header: header, signature: signature, changes: changes)
    }

    private mutating func decode(header: CommitHeader, signature: [UInt8], changes bytes: [UInt8]) throws(LiaisonError) -> (commit: Commit, changes: [Change?]) {
        var reader = ByteReader(bytes)
        // A change takes at least two bytes.
        let count = try reader.count(minimumSize: 2)
        guard count == Int(header.changeCount) else {
            throw LiaisonError(.verification, "the header counts \(header.changeCount) changes, the frame \(count)")
        }
        var hashes: [[UInt8]] = []
        var bodies: [[UInt8]?] = []
        var decoded: [Change?] = []
        hashes.reserveCapacity(count)
        bodies.reserveCapacity(count)
        decoded.reserveCapacity(count)
        var sealed: [Int: [SealedBody]] = [:]
        for index in 0..<count {
            var form = try reader.u8()
            if form == CompactCommit.Form.sealed.rawValue {
                sealed[index] = try sealedCopies(&reader, index: index)
                form = try reader.u8()
                guard form != CompactCommit.Form.sealed.rawValue else { throw LiaisonError(.verification, "change \(index) has its sealed copies twice") }
            }
            switch CompactCommit.Form(rawValue: form) {
            case .hashOnly:
                hashes.append(Array(try reader.take(32)))
                bodies.append(nil)
                decoded.append(nil)
            case .canonical:
                let length = try reader.count()
                guard length <= Commit.maximumChangeSize else { throw LiaisonError(.verification, "change \(index) has \(length) bytes") }
                let body = Array(try reader.take(length))
                // Its record id joins the stream as the writer's did, if the bytes name one.
                if let change = try? Change(decoding: body) { seen.note(change.recordID) }
                hashes.append(Change.hash(of: body))
                bodies.append(body)
                decoded.append(nil)
            case .compact:
                let change = try compactChange(&reader, index: index)
                seen.note(change.recordID)
                let body = change.encoded
                // The limit of a change in either form: a frame of the first version could not carry
                // a larger one, and a held commit is kept as such a frame.
                guard body.count <= Commit.maximumChangeSize else { throw LiaisonError(.verification, "change \(index) has \(body.count) bytes") }
                hashes.append(Change.hash(of: body))
                bodies.append(body)
                decoded.append(change)
            case .sealed, nil:
                throw LiaisonError(.verification, "change \(index) has unknown form \(form)")
            }
        }
        guard reader.isAtEnd else { throw LiaisonError(.verification, "bytes after the commit's last change") }
        return (Commit(header: header, signature: signature, changeHashes: hashes, changeBodies: bodies, sealedBodies: sealed), decoded)
    }

    /// A change's sealed copies: a count, then per copy the recipient, the encapsulated key, and
    /// the ciphertext with its length. Recipients are in increasing order, each once.
    private func sealedCopies(_ reader: inout ByteReader, index: Int) throws(LiaisonError) -> [SealedBody] {
        let count = try reader.count(minimumSize: CompactCommit.minimumSealedSize)
        guard count > 0 else { throw LiaisonError(.verification, "change \(index) has no sealed copy after its sealed form") }
        var copies: [SealedBody] = []
        copies.reserveCapacity(count)
        for _ in 0..<count {
            let recipient = try NodeID(bytes: Array(try reader.take(16)))
            guard copies.last.map({ $0.recipient < recipient }) ?? true else {
                throw LiaisonError(.verification, "the sealed copies of change \(index) are not in increasing order of recipient")
            }
            let key = Array(try reader.take(32))
            let length = try reader.count()
            guard length >= SealedBody.overhead, length <= Commit.maximumChangeSize + SealedBody.overhead else {
                throw LiaisonError(.verification, "a sealed copy of change \(index) has \(length) bytes")
            }
            copies.append(SealedBody(recipient: recipient, encapsulatedKey: key, ciphertext: Array(try reader.take(length))))
        }
        return copies
    }

    private func compactChange(_ reader: inout ByteReader, index: Int) throws(LiaisonError) -> Change {
        let code = Int(try reader.u8())
        guard code < CompactCommit.entities.count else { throw LiaisonError(.verification, "change \(index) names unknown record kind \(code)") }
        let entity = CompactCommit.entities[code]
        let recordID = try readID(&reader)
        let distribution = try Distribution(reading: &reader)
        switch try reader.u8() {
        case 2:
            return Change(entity: entity, recordID: recordID, operation: .delete, distribution: distribution)
        case 1:
            let mask = try reader.u8()
            let layout = CompactCommit.layout[entity] ?? []
            guard mask >> UInt8(layout.count) == 0 else { throw LiaisonError(.verification, "change \(index) names a group its kind does not have") }
            // The layout is canonical order: the values are read into place.
            var groups: [FieldGroup] = []
            for (bit, entry) in layout.enumerated() where mask & (1 << UInt8(bit)) != 0 {
                var values: [FieldValue] = []
                values.reserveCapacity(entry.fields.count)
                for _ in entry.fields { values.append(try readValue(&reader)) }
                groups.append(FieldGroup(name: entry.group, fieldNames: entry.fields, values: values))
            }
            return Change(entity: entity, recordID: recordID, operation: .upsert(FieldGroups(canonical: groups)), distribution: distribution)
        case let operation:
            throw LiaisonError(.verification, "change \(index) has unknown operation \(operation)")
        }
    }

    private func readID(_ reader: inout ByteReader) throws(LiaisonError) -> UUID {
        let distance = try reader.varint()
        guard distance > 0 else { return UUID(bytes: Array(try reader.take(16))) }
        guard distance <= UInt64(Int.max), let id = seen.id(atDistance: Int(distance)) else {
            throw LiaisonError(.verification, "a reference to a record \(distance) back, before the commit began")
        }
        return id
    }

    private func readValue(_ reader: inout ByteReader) throws(LiaisonError) -> FieldValue {
        let tag = try reader.u8()
        switch CompactCommit.Tag(rawValue: tag) {
        case .null: return .null
        case .text: return .text(try text(&reader))
        case .integer:
            let zigzag = try reader.varint()
            return .integer(Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1))
        case .no: return .bool(false)
        case .yes: return .bool(true)
        case .list:
            let count = try reader.count()
            var items: [String] = []
            for _ in 0..<count { items.append(try text(&reader)) }
            return .list(items)
        case .uuid: return .text(UUID(bytes: Array(try reader.take(16))).lowercasedString)
        case .uuidBack: return .text(try readID(&reader).lowercasedString)
        case nil: throw LiaisonError(.verification, "unknown value tag \(tag)")
        }
    }

    private func text(_ reader: inout ByteReader) throws(LiaisonError) -> String {
        let length = try reader.count()
        let slice = try reader.take(length)
        guard let text = String(validating: slice, as: UTF8.self) else { throw LiaisonError(.verification, "invalid UTF-8 in a text value") }
        return text
    }
}
