public import Crypto
public import Foundation
import Synchronization

/// Refuses Ed25519 public keys that would let anyone sign as a node (docs/PROTOCOL.md, "Public
/// keys"): encodings that are not canonical, that name no point of the curve, or that name one of
/// the 8 points of small order. With the identity point as a key, for example, one fixed
/// "signature" verifies for every header.
public enum SigningKeyCheck {
    /// The key of `raw` bytes, or an error that says why it cannot be trusted.
    public static func publicKey(_ raw: some DataProtocol, field: String = "signing_key") throws(LiaisonError) -> Curve25519.Signing.PublicKey {
        let bytes = [UInt8](raw)
        guard bytes.count == 32 else {
            throw LiaisonError.invalid(field, "\(bytes.count) bytes", "an Ed25519 public key has 32 bytes")
        }
        guard isCanonicalPointRemembered(bytes) else {
            throw LiaisonError(.verification, "the Ed25519 public key is not a canonical encoding of a point of the curve", field: field)
        }
        guard !smallOrderEncodings.contains(bytes) else {
            throw LiaisonError(.verification, "the Ed25519 public key is a point of small order: any signature could verify with it", field: field)
        }
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else {
            throw LiaisonError(.verification, "not an Ed25519 public key", field: field)
        }
        return key
    }

    /// The canonical encodings of the points whose order divides 8.
    static let smallOrderEncodings: Set<[UInt8]> = Set([
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    ].compactMap { [UInt8](hex: $0) })

    /// Keys already checked in this process: every receive reads the roster's keys again.
    private static let checked = Mutex<[[UInt8]: Bool]>([:])

    private static func isCanonicalPointRemembered(_ bytes: [UInt8]) -> Bool {
        if let known = checked.withLock({ $0[bytes] }) { return known }
        let result = isCanonicalPoint(bytes)
        checked.withLock { $0[bytes] = result }
        return result
    }

    /// RFC 8032, 5.1.3: y below p, and x² = (y² - 1) / (d·y² + 1) has a root, which is not 0 when
    /// the sign bit is set.
    static func isCanonicalPoint(_ bytes: [UInt8]) -> Bool {
        var yBytes = bytes
        let sign = yBytes[31] >> 7
        yBytes[31] &= 0x7F
        let y = FieldElement(littleEndian: yBytes)
        guard y.isBelowP else { return false }
        let ySquared = y * y
        let u = ySquared - .one
        let v = FieldElement.d * ySquared + .one
        let xSquared = u * v.power(FieldElement.pMinus2)
        if xSquared.isZero { return sign == 0 }
        // Euler's criterion: a non-zero square raised to (p - 1) / 2 is 1.
        return xSquared.power(FieldElement.pMinus1Over2) == .one
    }
}

/// An integer modulo p = 2^255 - 19 in four 64-bit limbs, least significant first. Only for checking
/// keys as they enter the roster: it is neither fast nor constant-time, and handles public data.
struct FieldElement: Equatable {
    var limbs: [UInt64]

    static let p = FieldElement(limbs: [0xFFFF_FFFF_FFFF_FFED, .max, .max, 0x7FFF_FFFF_FFFF_FFFF])
    static let one = FieldElement(limbs: [1, 0, 0, 0])
    /// -121665 / 121666, the curve's constant.
    static let d = FieldElement(bigEndianHex: "52036cee2b6ffe738cc740797779e89800700a4d4141d8ab75eb4dca135978a3")
    static let pMinus2 = FieldElement(limbs: [0xFFFF_FFFF_FFFF_FFEB, .max, .max, 0x7FFF_FFFF_FFFF_FFFF])
    static let pMinus1Over2 = FieldElement(limbs: [0xFFFF_FFFF_FFFF_FFF6, .max, .max, 0x3FFF_FFFF_FFFF_FFFF])

    init(limbs: [UInt64]) { self.limbs = limbs }

    init(littleEndian bytes: [UInt8]) {
        limbs = (0..<4).map { limb in (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[limb * 8 + $1]) << (8 * $1) } }
    }

    init(bigEndianHex hex: String) {
        self.init(littleEndian: ([UInt8](hex: hex) ?? []).reversed())
    }

    var isZero: Bool { limbs.allSatisfy { $0 == 0 } }

    /// Whether the value, as stored, is below p (that is, in canonical form).
    var isBelowP: Bool {
        for index in (0..<4).reversed() where limbs[index] != Self.p.limbs[index] { return limbs[index] < Self.p.limbs[index] }
        return false
    }

    static func + (lhs: FieldElement, rhs: FieldElement) -> FieldElement {
        var sum = [UInt64](repeating: 0, count: 4)
        var carry: UInt64 = 0
        for index in 0..<4 {
            let (partial, overflow1) = lhs.limbs[index].addingReportingOverflow(rhs.limbs[index])
            let (total, overflow2) = partial.addingReportingOverflow(carry)
            sum[index] = total
            carry = (overflow1 ? 1 : 0) + (overflow2 ? 1 : 0)
        }
        // 2^256 = 38 (mod p).
        return FieldElement(limbs: sum).addingSmall(carry * 38).reduced()
    }

    static func - (lhs: FieldElement, rhs: FieldElement) -> FieldElement {
        // lhs + (2p - rhs): 2p = 2^256 - 38 is above any reduced rhs.
        let twoP: [UInt64] = [0xFFFF_FFFF_FFFF_FFDA, .max, .max, .max]
        var negated = [UInt64](repeating: 0, count: 4)
        var borrow: UInt64 = 0
        for index in 0..<4 {
            let (partial, overflow1) = twoP[index].subtractingReportingOverflow(rhs.limbs[index])
            let (total, overflow2) = partial.subtractingReportingOverflow(borrow)
            negated[index] = total
            borrow = (overflow1 ? 1 : 0) + (overflow2 ? 1 : 0)
        }
        return lhs + FieldElement(limbs: negated)
    }

    static func * (lhs: FieldElement, rhs: FieldElement) -> FieldElement {
        var wide = [UInt64](repeating: 0, count: 8)
        for i in 0..<4 {
            var carry: UInt64 = 0
            for j in 0..<4 {
                let (high, low) = lhs.limbs[i].multipliedFullWidth(by: rhs.limbs[j])
                let (sum1, overflow1) = wide[i + j].addingReportingOverflow(low)
                let (sum2, overflow2) = sum1.addingReportingOverflow(carry)
                wide[i + j] = sum2
                carry = high &+ (overflow1 ? 1 : 0) &+ (overflow2 ? 1 : 0)
            }
            wide[i + 4] = carry
        }
        // low + 38 · high, then the few bits above 2^256 once more.
        var folded = [UInt64](repeating: 0, count: 4)
        var carry: UInt64 = 0
        for index in 0..<4 {
            let (high, low) = wide[index + 4].multipliedFullWidth(by: 38)
            let (sum1, overflow1) = wide[index].addingReportingOverflow(low)
            let (sum2, overflow2) = sum1.addingReportingOverflow(carry)
            folded[index] = sum2
            carry = high &+ (overflow1 ? 1 : 0) &+ (overflow2 ? 1 : 0)
        }
        return FieldElement(limbs: folded).addingSmall(carry * 38).reduced()
    }

    /// self^exponent by square and multiply.
    func power(_ exponent: FieldElement) -> FieldElement {
        var result = FieldElement.one
        for index in (0..<4).reversed() {
            for bit in (0..<64).reversed() {
                result = result * result
                if exponent.limbs[index] >> UInt64(bit) & 1 == 1 { result = result * self }
            }
        }
        return result
    }

    /// Adds a small number, folding a carry out of 2^256 back in as 38.
    private func addingSmall(_ value: UInt64) -> FieldElement {
        var limbs = self.limbs
        var carry = value
        for index in 0..<4 where carry != 0 {
            let (sum, overflow) = limbs[index].addingReportingOverflow(carry)
            limbs[index] = sum
            carry = overflow ? 1 : 0
        }
        let result = FieldElement(limbs: limbs)
        return carry == 0 ? result : result.addingSmall(38)
    }

    /// The value minus p while it is at least p: below 2^256 that takes at most two steps.
    private func reduced() -> FieldElement {
        var value = self
        while !value.isBelowP {
            var borrow: UInt64 = 0
            for index in 0..<4 {
                let (partial, overflow1) = value.limbs[index].subtractingReportingOverflow(Self.p.limbs[index])
                let (total, overflow2) = partial.subtractingReportingOverflow(borrow)
                value.limbs[index] = total
                borrow = (overflow1 ? 1 : 0) + (overflow2 ? 1 : 0)
            }
        }
        return value
    }
}
