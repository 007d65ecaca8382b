public import Foundation

/// Checks the shape of e-mail addresses: a local part, `@`, and a domain of dot-separated labels.
enum EmailAddress {
    /// Returns the address trimmed, with its domain in lower case.
    static func normalise(_ text: String, field: String = "email") throws(LiaisonError) -> String {
        let address = text.trimmingCharacters(in: .whitespaces)
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last else {
            throw LiaisonError.invalid(field, text, "not an e-mail address: it needs exactly one @")
        }
        let localAllowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "!#$%&'*+/=?^_`{|}~.-"))
        guard !local.isEmpty, local.count <= 64, !local.hasPrefix("."), !local.hasSuffix("."),
            !local.contains(".."), local.unicodeScalars.allSatisfy(localAllowed.contains)
        else {
            throw LiaisonError.invalid(field, text, "not an e-mail address: the part before @ is not valid")
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        let labelAllowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-"))
        guard labels.count >= 2, domain.count <= 253,
            labels.allSatisfy({ label in
                !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.unicodeScalars.allSatisfy(labelAllowed.contains)
            })
        else {
            throw LiaisonError.invalid(field, text, "not an e-mail address: the domain after @ is not valid")
        }
        return "\(local)@\(domain.lowercased())"
    }
}
