package import Foundation
public import GRDB

// Reading replicated records from their tables. Writing goes through the log only (ChangeApplier).

extension Row {
    package func uuid(_ column: String) -> UUID? {
        (self[column] as String?).flatMap(UUID.init(uuidString:))
    }

    func term<T: VocabularyTerm>(_ column: String, default value: T) -> T {
        (self[column] as String?).flatMap(T.init(rawValue:)) ?? value
    }

    var recordMetadata: RecordMetadata {
        RecordMetadata(
            steward: self["steward"], createdAt: Timestamp.iso8601(database: self["created_at"]),
            modifiedAt: Timestamp.iso8601(database: self["modified_at"]), deleted: self["deleted"])
    }
}

extension Agency: FetchableRecord, TableRecord {
    public static let databaseTableName = "agency"

    public init(row: Row) {
        self.init(
            id: row.uuid("id") ?? UUID(), name: row["name"], nativeName: row["native_name"], acronym: row["acronym"],
            kind: row.term("kind", default: .other), country: row["country"], parentID: row.uuid("parent_id"),
            subdivision: row["subdivision"], address: row["address"], website: row["website"])
        metadata = row.recordMetadata
    }
}

extension Person: FetchableRecord, TableRecord {
    public static let databaseTableName = "person"

    public init(row: Row) {
        let languages = JSONStringArray.decode(row["languages"] ?? "[]")
        self.init(
            id: row.uuid("id") ?? UUID(), agencyID: row.uuid("agency_id") ?? UUID(), givenName: row["given_name"],
            familyName: row["family_name"], nativeName: row["native_name"], position: row["position"],
            rank: row["rank"], languages: languages, timeZone: row["time_zone"], verifiedAt: row["verified_at"],
            verifiedBy: row["verified_by"])
        metadata = row.recordMetadata
    }
}

extension Channel: FetchableRecord, TableRecord {
    public static let databaseTableName = "channel"

    public init(row: Row) {
        self.init(
            id: row.uuid("id") ?? UUID(), agencyID: row.uuid("agency_id"), personID: row.uuid("person_id"),
            kind: row.term("kind", default: .phone), value: row["value"], label: row["label"],
            preference: row["preference"], is24x7: row["is_24x7"], hours: row["hours"],
            // A marking this version does not know is shown as the most restrictive one.
            marking: row.term("marking", default: .red))
        metadata = row.recordMetadata
    }
}

extension Designation: FetchableRecord, TableRecord {
    public static let databaseTableName = "designation"

    public init(row: Row) {
        self.init(
            id: row.uuid("id") ?? UUID(), agencyID: row.uuid("agency_id"), personID: row.uuid("person_id"),
            crimeArea: (row["crime_area"] as String?).flatMap(CrimeArea.init(rawValue:)),
            function: row.term("function", default: .operationalContact), validFrom: row["valid_from"],
            validTo: row["valid_to"], legalBasis: row["legal_basis"])
        metadata = row.recordMetadata
    }
}

extension Country: FetchableRecord, TableRecord {
    public static let databaseTableName = "country"

    public init(row: Row) {
        self.init(
            code: row["code"], alpha3: row["alpha3"], numeric: row["numeric"], name: row["name"],
            officialName: row["official_name"], unRegion: row["un_region"], unSubregion: row["un_subregion"],
            callingCode: row["calling_code"])
    }
}

extension DerivableRequest where RowDecoder: ReplicatedRecord {
    /// Records that are not tombstones.
    public func live() -> Self { filter(sql: "deleted = 0") }
}
