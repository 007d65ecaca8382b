// QR codes (ISO/IEC 18004:2015) in byte mode at error correction level M, for a contact's vCard on the page.

/// A QR code (ISO/IEC 18004) of bytes, in byte mode, at error correction level M.
struct QRCode: Sendable {
    enum EncodingError: Error { case tooLong(bytes: Int, maximum: Int) }

    let version: Int
    /// Modules per side: 17 + 4 × version.
    var size: Int { 17 + 4 * version }
    /// Row-major, `size × size`; true = dark.
    private let modules: [Bool]

    /// Picks the smallest version (1...40) that holds `bytes` at level M; throws tooLong past version 40.
    init(_ bytes: [UInt8]) throws(EncodingError) {
        guard let version = (1...40).first(where: { bytes.count <= Self.byteCapacity(version: $0) }) else {
            throw .tooLong(bytes: bytes.count, maximum: Self.byteCapacity(version: 40))
        }
        self.version = version
        let dataCodewords = Self.dataCodewords(bytes, version: version)
        let codewords = Self.addErrorCorrectionAndInterleave(dataCodewords, version: version)
        var matrix = Matrix(version: version)
        matrix.drawFunctionPatterns()
        matrix.placeCodewords(codewords)
        matrix.applyBestMask()
        modules = matrix.dark
    }

    /// Whether the module at column x, row y is dark.
    func isDark(x: Int, y: Int) -> Bool {
        guard (0..<size).contains(x), (0..<size).contains(y) else { return false }  // quiet zone
        return modules[y * size + x]
    }

    /// An SVG image: one <path> of the dark modules (horizontal runs merged, e.g. "M4 4h7v1h-7z"), a 4-module quiet zone,
    /// viewBox in modules, shape-rendering="crispEdges", `title` as an accessible <title> (XML-escaped), no width/height so CSS sizes it.
    func svg(title: String) -> String {
        let quietZone = 4
        let side = size + 2 * quietZone
        var path = ""
        for y in 0..<size {
            var x = 0
            while x < size {
                guard isDark(x: x, y: y) else { x += 1; continue }
                let runStart = x
                while x < size && isDark(x: x, y: y) { x += 1 }
                let run = x - runStart
                path += "M\(runStart + quietZone) \(y + quietZone)h\(run)v1h-\(run)z"
            }
        }
        // The white background keeps the quiet zone light on dark pages and in transparent-to-black rasterisers.
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" \
            shape-rendering="crispEdges" role="img">\
            <title>\(Self.xmlEscaped(title))</title>\
            <rect width="\(side)" height="\(side)" fill="#fff"/>\
            <path d="\(path)" fill="#000"/></svg>
            """
    }

    private static func xmlEscaped(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            case "\t", "\n", "\r": escaped.unicodeScalars.append(scalar)
            // Other C0 controls and U+FFFE/U+FFFF are not allowed in XML 1.0, even as character references.
            case "\u{0}"..."\u{1F}", "\u{FFFE}", "\u{FFFF}": continue
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}

// MARK: - Capacity tables (level M)

private extension QRCode {
    /// Error correction codewords per block at level M, indexed by version (ISO/IEC 18004 Table 9).
    static let ecCodewordsPerBlock: [Int] = [
        0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26,  // versions 1–10 (index 0 unused)
        30, 22, 22, 24, 24, 28, 28, 26, 26, 26,     // 11–20
        26, 28, 28, 28, 28, 28, 28, 28, 28, 28,     // 21–30
        28, 28, 28, 28, 28, 28, 28, 28, 28, 28,     // 31–40
    ]

    /// Number of error correction blocks at level M, indexed by version (ISO/IEC 18004 Table 9).
    static let blockCount: [Int] = [
        0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5,            // versions 1–10 (index 0 unused)
        5, 8, 9, 9, 10, 10, 11, 13, 14, 16,         // 11–20
        17, 17, 18, 20, 21, 23, 25, 26, 28, 29,     // 21–30
        31, 33, 35, 37, 38, 40, 43, 45, 47, 49,     // 31–40
    ]

    /// Centre coordinates of alignment patterns (rows and columns alike), indexed by version (ISO/IEC 18004 Annex E).
    static let alignmentCenters: [[Int]] = [
        [], [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34],  // versions 1–6 (index 0 unused)
        [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50], [6, 30, 54], [6, 32, 58], [6, 34, 62],  // 7–13
        [6, 26, 46, 66], [6, 26, 48, 70], [6, 26, 50, 74], [6, 30, 54, 78], [6, 30, 56, 82], [6, 30, 58, 86],
        [6, 34, 62, 90],  // 14–20
        [6, 28, 50, 72, 94], [6, 26, 50, 74, 98], [6, 30, 54, 78, 102], [6, 28, 54, 80, 106],
        [6, 32, 58, 84, 110], [6, 30, 58, 86, 114], [6, 34, 62, 90, 118],  // 21–27
        [6, 26, 50, 74, 98, 122], [6, 30, 54, 78, 102, 126], [6, 26, 52, 78, 104, 130],
        [6, 30, 56, 82, 108, 134], [6, 34, 60, 86, 112, 138], [6, 30, 58, 86, 114, 142],
        [6, 34, 62, 90, 118, 146],  // 28–34
        [6, 30, 54, 78, 102, 126, 150], [6, 24, 50, 76, 102, 128, 154], [6, 28, 54, 80, 106, 132, 158],
        [6, 32, 58, 84, 110, 136, 162], [6, 26, 54, 82, 110, 138, 166], [6, 30, 58, 86, 114, 142, 170],  // 35–40
    ]

    /// All codewords (data + error correction) that fit in a symbol: modules not used by function patterns, over 8.
    static func totalCodewords(version: Int) -> Int {
        let side = 17 + 4 * version
        let alignmentCount = alignmentCenters[version].count
        // Alignment patterns overlapping the three finders are not drawn.
        let alignmentPatterns = alignmentCount == 0 ? 0 : alignmentCount * alignmentCount - 3
        var functionModules = 3 * 8 * 8                          // finders with their separators
        functionModules += 2 * (side - 16)                       // timing patterns between the finders
        functionModules += 25 * alignmentPatterns
        functionModules -= 2 * 5 * max(0, alignmentCount - 2)   // alignment patterns crossing the timing lines
        functionModules += 31                                    // both copies of format information + dark module
        if version >= 7 { functionModules += 2 * 18 }           // both copies of version information
        return (side * side - functionModules) / 8               // leftover 0–7 modules are remainder bits
    }

    static func dataCodewordCount(version: Int) -> Int {
        totalCodewords(version: version) - ecCodewordsPerBlock[version] * blockCount[version]
    }

    /// Character count indicator width for byte mode.
    static func countBits(version: Int) -> Int { version <= 9 ? 8 : 16 }

    static func byteCapacity(version: Int) -> Int {
        (dataCodewordCount(version: version) * 8 - 4 - countBits(version: version)) / 8
    }

    // MARK: - Data encoding and error correction

    /// Mode indicator, count, payload, terminator, bit padding and pad codewords.
    static func dataCodewords(_ bytes: [UInt8], version: Int) -> [UInt8] {
        let capacity = dataCodewordCount(version: version)
        var bits: [Bool] = []
        func append(_ value: Int, bitCount: Int) {  // most significant bit first
            for shift in stride(from: bitCount - 1, through: 0, by: -1) { bits.append((value >> shift) & 1 == 1) }
        }
        append(0b0100, bitCount: 4)  // byte mode
        append(bytes.count, bitCount: countBits(version: version))
        for byte in bytes { append(Int(byte), bitCount: 8) }
        append(0, bitCount: min(4, capacity * 8 - bits.count))  // terminator, shortened when the symbol is full
        append(0, bitCount: (8 - bits.count % 8) % 8)
        var codewords = stride(from: 0, to: bits.count, by: 8).map { start in
            bits[start..<start + 8].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) }
        }
        for padIndex in 0..<(capacity - codewords.count) { codewords.append(padIndex % 2 == 0 ? 0xEC : 0x11) }
        return codewords
    }

    /// Splits data into blocks (short ones first), appends Reed–Solomon codewords, interleaves column-wise.
    static func addErrorCorrectionAndInterleave(_ data: [UInt8], version: Int) -> [UInt8] {
        let blocks = blockCount[version]
        let ecLength = ecCodewordsPerBlock[version]
        let shortDataLength = data.count / blocks
        let longBlocks = data.count % blocks  // the last `longBlocks` blocks carry one extra data codeword
        let generator = ReedSolomon.generator(degree: ecLength)

        let dataBlocks = (0..<blocks).map { index in
            let longBlocksBefore = max(0, index - (blocks - longBlocks))
            let start = index * shortDataLength + longBlocksBefore
            return data[start..<start + shortDataLength + (index >= blocks - longBlocks ? 1 : 0)]
        }
        let ecBlocks = dataBlocks.map { ReedSolomon.remainder(of: $0, divisor: generator) }

        var result: [UInt8] = []
        for column in 0...shortDataLength {
            for block in dataBlocks where column < block.count { result.append(block[block.startIndex + column]) }
        }
        for column in 0..<ecLength {
            for block in ecBlocks { result.append(block[column]) }
        }
        return result
    }

    // Helper types are nested in QRCode so they cannot clash with names elsewhere in the host module.

    /// Reed–Solomon over GF(256) with primitive polynomial x⁸ + x⁴ + x³ + x² + 1 (0x11D), generator roots α⁰…αⁿ⁻¹.
    enum ReedSolomon {
        /// Shift-and-add multiplication, reducing by 0x11D whenever the product overflows 8 bits.
        static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
            var product = 0
            for bit in stride(from: 7, through: 0, by: -1) {
                product = (product << 1) ^ ((product >> 7) * 0x11D)
                if (b >> bit) & 1 == 1 { product ^= Int(a) }
            }
            return UInt8(product)
        }

        /// Coefficients of ∏(x − αⁱ), highest degree first, without the leading 1.
        static func generator(degree: Int) -> [UInt8] {
            var coefficients = [UInt8](repeating: 0, count: degree)
            coefficients[degree - 1] = 1
            var root: UInt8 = 1
            for _ in 0..<degree {
                // Multiply by (x − root); subtraction is XOR in GF(2⁸).
                for index in 0..<degree {
                    coefficients[index] = multiply(coefficients[index], root)
                    if index + 1 < degree { coefficients[index] ^= coefficients[index + 1] }
                }
                root = multiply(root, 2)
            }
            return coefficients
        }

        /// Remainder of data(x) · xⁿ divided by the generator: the error correction codewords.
        static func remainder(of data: ArraySlice<UInt8>, divisor: [UInt8]) -> [UInt8] {
            var remainder = [UInt8](repeating: 0, count: divisor.count)
            for byte in data {
                let factor = byte ^ remainder.removeFirst()
                remainder.append(0)
                for index in remainder.indices { remainder[index] ^= multiply(divisor[index], factor) }
            }
            return remainder
        }
    }
}

// MARK: - Module matrix

private extension QRCode {
    /// The symbol under construction; `isFunction` marks modules that carry no data and are never masked.
    struct Matrix {
        let version: Int
        let size: Int
        var dark: [Bool]
        var isFunction: [Bool]

        init(version: Int) {
            self.version = version
            size = 17 + 4 * version
            dark = Array(repeating: false, count: size * size)
            isFunction = dark
        }

        subscript(x: Int, y: Int) -> Bool { dark[y * size + x] }

        mutating func setFunction(x: Int, y: Int, dark isDark: Bool) {
            dark[y * size + x] = isDark
            isFunction[y * size + x] = true
        }

        mutating func drawFunctionPatterns() {
            // Finders: 7×7 with a 3×3 core, plus the light separator (ring 4).
            for (centerX, centerY) in [(3, 3), (size - 4, 3), (3, size - 4)] {
                drawRings(centerX: centerX, centerY: centerY, radius: 4) { ring in ring != 2 && ring != 4 }
            }
            // Alignment patterns whose centre would fall on a finder are left out.
            let centers = QRCode.alignmentCenters[version]
            for centerY in centers {
                for centerX in centers where !isFunction[centerY * size + centerX] {
                    drawRings(centerX: centerX, centerY: centerY, radius: 2) { ring in ring != 1 }
                }
            }
            // Timing patterns; where they cross an alignment pattern (even centre), the modules already agree.
            for i in 8..<size - 8 {
                setFunction(x: 6, y: i, dark: i % 2 == 0)
                setFunction(x: i, y: 6, dark: i % 2 == 0)
            }
            drawFormatInformation(mask: 0)  // reserves the area; redrawn once the mask is chosen
            drawVersionInformation()
        }

        /// Concentric square rings (ring = Chebyshev distance from the centre), clipped at the symbol edge.
        private mutating func drawRings(centerX: Int, centerY: Int, radius: Int, isDarkRing: (Int) -> Bool) {
            for dy in -radius...radius {
                for dx in -radius...radius {
                    let x = centerX + dx, y = centerY + dy
                    guard (0..<size).contains(x), (0..<size).contains(y) else { continue }
                    setFunction(x: x, y: y, dark: isDarkRing(max(abs(dx), abs(dy))))
                }
            }
        }

        /// Level M (indicator 00) and the mask, BCH(15,5) protected, XORed with 0x5412 so it is never all light.
        mutating func drawFormatInformation(mask: Int) {
            let data = 0b00 << 3 | mask
            var remainder = data
            for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
            let bits = (data << 10 | remainder) ^ 0x5412
            func bit(_ index: Int) -> Bool { (bits >> index) & 1 == 1 }

            // Copy around the top-left finder, skipping the timing pattern at row/column 6.
            for i in 0...5 { setFunction(x: 8, y: i, dark: bit(i)) }
            setFunction(x: 8, y: 7, dark: bit(6))
            setFunction(x: 8, y: 8, dark: bit(7))
            setFunction(x: 7, y: 8, dark: bit(8))
            for i in 9..<15 { setFunction(x: 14 - i, y: 8, dark: bit(i)) }
            // Copy split between the top-right and bottom-left finders.
            for i in 0..<8 { setFunction(x: size - 1 - i, y: 8, dark: bit(i)) }
            for i in 8..<15 { setFunction(x: 8, y: size - 15 + i, dark: bit(i)) }
            setFunction(x: 8, y: size - 8, dark: true)  // the dark module
        }

        /// Version number, BCH(18,6) protected, in 6×3 blocks beside the top-right and bottom-left finders.
        private mutating func drawVersionInformation() {
            guard version >= 7 else { return }
            var remainder = version
            for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
            let bits = version << 12 | remainder
            for i in 0..<18 {
                let isDark = (bits >> i) & 1 == 1
                let near = i / 3, far = size - 11 + i % 3
                setFunction(x: far, y: near, dark: isDark)
                setFunction(x: near, y: far, dark: isDark)
            }
        }

        /// Zigzag through two-column strips from the bottom-right, skipping the vertical timing column.
        /// Modules left over after the last codeword are remainder bits and stay light (0).
        mutating func placeCodewords(_ codewords: [UInt8]) {
            var bitIndex = 0
            var right = size - 1
            while right >= 1 {
                if right == 6 { right = 5 }
                let upward = (right + 1) & 2 == 0
                for step in 0..<size {
                    let y = upward ? size - 1 - step : step
                    for x in [right, right - 1] where !isFunction[y * size + x] && bitIndex < codewords.count * 8 {
                        dark[y * size + x] = (codewords[bitIndex / 8] >> (7 - bitIndex % 8)) & 1 == 1
                        bitIndex += 1
                    }
                }
                right -= 2
            }
        }

        static func maskInverts(_ mask: Int, x: Int, y: Int) -> Bool {
            switch mask {
            case 0: return (y + x) % 2 == 0
            case 1: return y % 2 == 0
            case 2: return x % 3 == 0
            case 3: return (y + x) % 3 == 0
            case 4: return (y / 2 + x / 3) % 2 == 0
            case 5: return (y * x) % 2 + (y * x) % 3 == 0
            case 6: return ((y * x) % 2 + (y * x) % 3) % 2 == 0
            default: return ((y + x) % 2 + (y * x) % 3) % 2 == 0
            }
        }

        /// XOR is its own inverse, so applying the same mask twice undoes it.
        mutating func applyMask(_ mask: Int) {
            for y in 0..<size {
                for x in 0..<size where !isFunction[y * size + x] && Self.maskInverts(mask, x: x, y: y) {
                    dark[y * size + x].toggle()
                }
            }
        }

        mutating func applyBestMask() {
            var best = (mask: 0, penalty: Int.max)
            for mask in 0..<8 {
                applyMask(mask)
                drawFormatInformation(mask: mask)
                let score = penalty()
                if score < best.penalty { best = (mask, score) }
                applyMask(mask)
            }
            applyMask(best.mask)
            drawFormatInformation(mask: best.mask)
        }

        /// The four penalty rules of ISO/IEC 18004 §7.8.3.1 (weights N1 = 3, N2 = 3, N3 = 40, N4 = 10).
        func penalty() -> Int {
            var score = 0
            for line in 0..<size {
                let row = (0..<size).map { self[$0, line] }
                let column = (0..<size).map { self[line, $0] }
                score += Self.runPenalty(row) + Self.finderLikePenalty(row)
                score += Self.runPenalty(column) + Self.finderLikePenalty(column)
            }
            // Rule 2: each 2×2 block of one colour.
            for y in 0..<size - 1 {
                for x in 0..<size - 1 {
                    let colour = self[x, y]
                    if self[x + 1, y] == colour, self[x, y + 1] == colour, self[x + 1, y + 1] == colour { score += 3 }
                }
            }
            // Rule 4: 10 points per full 5 % step the dark share deviates from 50 %.
            let darkCount = dark.reduce(0) { $0 + ($1 ? 1 : 0) }
            let deviationPercent = abs(darkCount * 100 - dark.count * 50) / dark.count
            score += 10 * (deviationPercent / 5)
            return score
        }

        /// Rule 1: each run of 5 + k modules of one colour scores 3 + k.
        static func runPenalty(_ line: [Bool]) -> Int {
            var score = 0
            var runLength = 0
            for (index, module) in line.enumerated() {
                runLength = index > 0 && module == line[index - 1] ? runLength + 1 : 1
                if runLength == 5 { score += 3 } else if runLength > 5 { score += 1 }
            }
            return score
        }

        /// Rule 3: dark-light-dark×3-light-dark (1:1:3:1:1) with four light modules on either side.
        /// Outside the symbol counts as light, since the quiet zone is.
        static func finderLikePenalty(_ line: [Bool]) -> Int {
            let pattern = [true, false, true, true, true, false, true]
            func isLight(_ range: Range<Int>) -> Bool { range.allSatisfy { !line.indices.contains($0) || !line[$0] } }
            var score = 0
            for start in 0...(line.count - pattern.count) {
                let end = start + pattern.count
                guard line[start..<end].elementsEqual(pattern) else { continue }
                if isLight(start - 4..<start) || isLight(end..<end + 4) { score += 40 }
            }
            return score
        }
    }
}
