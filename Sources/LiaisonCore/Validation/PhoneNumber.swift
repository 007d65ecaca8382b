import Foundation

/// A telephone number in E.164 form: `+`, a country calling code and the subscriber number, 8 to 15
/// digits in all.
public struct PhoneNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number as `+` followed by digits only, e.g. `+37322123456`.
    public let e164: String

    public var description: String { e164 }

    /// Parses and normalises a phone number.
    ///
    /// Accepts the international forms `+373 22 123 456`, `+373 (22) 12-34-56` and `00373 22 123 456`.
    /// A national number such as `022 123 456` is accepted when `callingCode` is given (the country's
    /// code, e.g. `"373"`): its trunk `0` is dropped, except in Italy, San Marino and Vatican City where
    /// the leading `0` is part of the number.
    ///
    /// ```swift
    /// let number = try PhoneNumber(parsing: "+373 22 123 456")
    /// number.e164  // "+37322123456"
    /// ```
    /// With `knownCallingCodes`, the number must start with one of them.
    public init(
        parsing text: String, callingCode: String? = nil, knownCallingCodes: Set<String>? = nil, field: String = "phone"
    ) throws(LiaisonError) {
        // "+44 (0)20 7946 0000": the bracketed trunk 0 is dialled only inside the country.
        let trimmed = text.contains("(0)") ? text.trimmed.replacingOccurrences(of: "(0)", with: "") : text.trimmed
        var digits = ""
        var international = false
        for (offset, character) in trimmed.enumerated() {
            switch character {
            case "+" where offset == 0:
                international = true
            case "0"..."9":
                digits.append(character)
            case " ", "-", ".", "(", ")", "/", "\u{00A0}":
                continue
            default:
                throw LiaisonError.invalid(
                    field, text, "not a phone number: unexpected \"\(character)\"",
                    hint: "write it in international form, e.g. +373 22 123 456")
            }
        }
        if !international, digits.hasPrefix("00") {
            digits.removeFirst(2)
            international = true
        }
        if !international {
            guard let callingCode, !digits.isEmpty else {
                throw LiaisonError.invalid(
                    field, text, "not an international phone number",
                    hint: "start with + and the country calling code, e.g. +373 22 123 456")
            }
            let keepsLeadingZero = ["39", "378"].contains(callingCode)
            if digits.hasPrefix("0"), !keepsLeadingZero { digits.removeFirst() }
            digits = callingCode + digits
        }
        guard let first = digits.first, first != "0" else {
            throw LiaisonError.invalid(field, text, "not a phone number: a country calling code never starts with 0")
        }
        guard (8...15).contains(digits.count) else {
            throw LiaisonError.invalid(
                field, text, "not a phone number: \(digits.count) digits, E.164 allows 8 to 15 with the country code")
        }
        if let knownCallingCodes, !(1...3).contains(where: { knownCallingCodes.contains(String(digits.prefix($0))) }) {
            throw LiaisonError.invalid(
                field, text, "not a phone number: +\(digits.prefix(3))… is no country calling code",
                hint: "start with + and the country calling code, e.g. +373 for Moldova")
        }
        e164 = "+" + digits
    }
}
