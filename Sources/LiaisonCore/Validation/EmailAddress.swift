import Foundation

/// Checks the shape of e-mail addresses: a local part, `@`, and a domain of dot-separated labels.
enum EmailAddress {
    /// Returns the address trimmed, with its domain in lower case.
    static func normalise(_ text: String, field: String = "email") throws(LiaisonError) -> String {
        let address = text.trimmed
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last else {
            throw LiaisonError.invalid(field, text, "not an e-mail address: it needs exactly one @")
        }
        guard !local.isEmpty, local.count <= 64, !local.hasPrefix("."), !local.hasSuffix("."),
            !local.contains(".."),
            local.unicodeScalars.allSatisfy({ isLetterOrDigit($0) || localSymbols.contains($0) })
        else {
            throw LiaisonError.invalid(field, text, "not an e-mail address: the part before @ is not valid")
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, domain.count <= 253,
            labels.allSatisfy({ label in
                !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.unicodeScalars.allSatisfy { $0 == "-" || isLetterOrDigit($0) }
            })
        else {
            throw LiaisonError.invalid(field, text, "not an e-mail address: the domain after @ is not valid")
        }
        return "\(local)@\(domain.lowercased())"
    }

    private static let localSymbols = Set("!#$%&'*+/=?^_`{|}~.-".unicodeScalars)

    /// A letter or digit in any script; ASCII is answered without Unicode property tables.
    private static func isLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return SearchText.isASCIILetterOrDigit(UInt8(scalar.value)) }
        return scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }
}
