/// How reliable the source of a note's information is: the Admiralty code's letter.
public enum SourceReliability: String, VocabularyTerm, Comparable {
    /// Completely reliable.
    case a = "A"
    /// Usually reliable.
    case b = "B"
    /// Fairly reliable.
    case c = "C"
    /// Not usually reliable.
    case d = "D"
    /// Unreliable.
    case e = "E"
    /// Reliability cannot be judged.
    case f = "F"
    public static let fieldName = "reliability"

    public var meaning: String {
        switch self {
        case .a: "completely reliable"
        case .b: "usually reliable"
        case .c: "fairly reliable"
        case .d: "not usually reliable"
        case .e: "unreliable"
        case .f: "reliability cannot be judged"
        }
    }

    /// A before F: the better grade sorts first.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// How credible a note's information is: the Admiralty code's number.
public enum InformationCredibility: String, VocabularyTerm, Comparable {
    /// Confirmed by other sources.
    case one = "1"
    /// Probably true.
    case two = "2"
    /// Possibly true.
    case three = "3"
    /// Doubtful.
    case four = "4"
    /// Improbable.
    case five = "5"
    /// Truth cannot be judged.
    case six = "6"
    public static let fieldName = "credibility"

    public var meaning: String {
        switch self {
        case .one: "confirmed by other sources"
        case .two: "probably true"
        case .three: "possibly true"
        case .four: "doubtful"
        case .five: "improbable"
        case .six: "truth cannot be judged"
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A category of people a note speaks of, which data-protection rules treat differently.
public enum DataSubject: String, VocabularyTerm {
    case suspect, victim, witness, other
    public static let fieldName = "subject"
}

/// Whether a note reports what was observed or what its author concludes.
public enum NoteNature: String, VocabularyTerm {
    case fact, assessment
    public static let fieldName = "nature"
}

/// A draft stays on its node; a published note travels under its distribution.
public enum NoteStatus: String, VocabularyTerm {
    case draft, published
    public static let fieldName = "status"
}

/// How one note bears on another.
public enum NoteRelation: String, VocabularyTerm {
    case corroborates, contradicts, duplicates
    case relatesTo = "relates-to"
    public static let fieldName = "relation"
}
