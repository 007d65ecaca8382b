import Foundation

/// A closed list of lower-case identifiers, used alike in files, the API and the command line.
///
/// Terms are accepted case-insensitively and written back in their canonical spelling; an unknown
/// term is an error that lists the allowed ones.
public protocol VocabularyTerm: RawRepresentable<String>, CaseIterable, Sendable, Hashable, Codable {
    /// The field name used in error messages, e.g. `agency_kind`.
    static var fieldName: String { get }
}

extension VocabularyTerm {
    /// Parses a term case-insensitively, throwing an error that lists the allowed terms.
    public static func parse(_ text: String, field: String? = nil) throws(LiaisonError) -> Self {
        let key = text.trimmed.lowercased()
        if let term = allCases.first(where: { $0.rawValue.lowercased() == key }) { return term }
        throw LiaisonError.invalid(
            field ?? fieldName, text,
            "unknown value \"\(text)\"; allowed: \(allCases.map(\.rawValue).joined(separator: ", "))")
    }

    /// Parses a `;`-separated list of terms, dropping empty items and repeats.
    public static func parseList(_ text: String, field: String? = nil) throws(LiaisonError) -> [Self] {
        var terms: [Self] = []
        for item in text.split(separator: ";") where !item.trimmed.isEmpty {
            let term = try parse(String(item), field: field)
            if !terms.contains(term) { terms.append(term) }
        }
        return terms
    }
}

/// The kind of an agency or unit.
public enum AgencyKind: String, VocabularyTerm {
    case police, border, immigration, customs
    case labourInspectorate = "labour-inspectorate"
    case prosecution, judiciary
    case centralAuthority = "central-authority"
    case financialIntelligenceUnit = "financial-intelligence-unit"
    case ministry
    case victimServices = "victim-services"
    case internationalOrganisation = "international-organisation"
    case other
    public static let fieldName = "agency_kind"
}

/// The crime area of a designation.
public enum CrimeArea: String, VocabularyTerm {
    case traffickingInPersons = "trafficking-in-persons"
    case smugglingOfMigrants = "smuggling-of-migrants"
    case forcedLabour = "forced-labour"
    case childExploitation = "child-exploitation"
    case documentFraud = "document-fraud"
    case moneyLaundering = "money-laundering"
    case cybercrime
    case mutualLegalAssistance = "mutual-legal-assistance"
    case extradition
    public static let fieldName = "crime_area"
}

/// The focal-point function of a designation.
public enum FocalFunction: String, VocabularyTerm {
    case contact24x7 = "24x7-contact"
    case operationalContact = "operational-contact"
    case centralAuthority = "central-authority"
    case nationalCentralBureau = "national-central-bureau"
    case liaisonOfficer = "liaison-officer"
    case nationalRapporteur = "national-rapporteur"
    case referralMechanism = "referral-mechanism"
    case policy
    public static let fieldName = "function"
}

/// The kind of a contact channel.
public enum ChannelKind: String, VocabularyTerm {
    case phone, mobile, fax, email
    case secureMailbox = "secure-mailbox"
    case messaging, post
    public static let fieldName = "channel_kind"

    /// Whether the value is a phone number in E.164.
    public var isTelephone: Bool { self == .phone || self == .mobile || self == .fax }
}

/// A Traffic Light Protocol 2.0 marking.
public enum Marking: String, VocabularyTerm, Comparable {
    case clear = "TLP:CLEAR"
    case green = "TLP:GREEN"
    case amber = "TLP:AMBER"
    case amberStrict = "TLP:AMBER+STRICT"
    case red = "TLP:RED"
    public static let fieldName = "marking"

    public static func < (lhs: Marking, rhs: Marking) -> Bool {
        lhs.rank < rhs.rank
    }

    private var rank: Int { Self.allCases.firstIndex(of: self).map { Self.allCases.distance(from: Self.allCases.startIndex, to: $0) } ?? 0 }
}
