/// The tokenization BLEU is scored on: mteval-v13a's, as sacreBLEU's default `13a` tokenizer
/// applies it, so that ``CorpusBLEU`` gives sacreBLEU's scores.
///
/// Every step works on Unicode scalars, as Python's `str` and `re` do (not on Swift's
/// grapheme clusters): "é" written as e + U+0301 stays two scalars apart from a precomposed "é",
/// and whitespace is exactly the set Python's `str.split()` splits on.
public enum MTEval13aTokenizer {
    /// The tokens of `line`, after sacreBLEU's trailing-whitespace strip (`rstrip()`), its
    /// `13a` markup and line-break cleanup, and its four regular-expression passes.
    public static func tokens(of line: String) -> [String] {
        var text = String(String.UnicodeScalarView(line.unicodeScalars.reversed().drop(while: isPythonWhitespace).reversed()))
        text = text.replacingAll("<skipped>", with: "").replacingAll("-\n", with: "").replacingAll("\n", with: " ")
        if text.unicodeScalars.contains("&") {
            text = text.replacingAll("&quot;", with: "\"").replacingAll("&amp;", with: "&")
                .replacingAll("&lt;", with: "<").replacingAll("&gt;", with: ">")
        }
        // sacreBLEU pads the line with a space each side, so a period or comma at either end is
        // split off by the passes below.
        let padded: [Unicode.Scalar] = [" "] + text.unicodeScalars + [" "]
        var scalars: [Unicode.Scalar] = []
        // ([\{-\~\[-\` -\&\(-\+\:-\@\/]) → " \1 ": symbols other than ' , - . apart.
        for scalar in padded {
            if isSplitSymbol(scalar) { scalars += [" ", scalar, " "] } else { scalars.append(scalar) }
        }
        // ([^0-9])([\.,]) → "\1 \2 ": a period or comma after anything but a digit.
        scalars = substitutingPairs(scalars) { !isDigit($0) && isPeriodOrComma($1) } replacement: { [$0, " ", $1, " "] }
        // ([\.,])([^0-9]) → " \1 \2": a period or comma before anything but a digit.
        scalars = substitutingPairs(scalars) { isPeriodOrComma($0) && !isDigit($1) } replacement: { [" ", $0, " ", $1] }
        // ([0-9])(-) → "\1 \2 ": a hyphen after a digit.
        scalars = substitutingPairs(scalars) { isDigit($0) && $1 == "-" } replacement: { [$0, " ", $1, " "] }
        return scalars.split(whereSeparator: isPythonWhitespace).map { String(String.UnicodeScalarView($0)) }
    }

    /// `re.sub` of a two-scalar pattern: scanning left to right, each match is replaced and the
    /// scan resumes after it, so matches never overlap.
    private static func substitutingPairs(_ scalars: [Unicode.Scalar], matching: (Unicode.Scalar, Unicode.Scalar) -> Bool,
                                          replacement: (Unicode.Scalar, Unicode.Scalar) -> [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(scalars.count * 2)
        var index = 0
        while index < scalars.count {
            if index + 1 < scalars.count && matching(scalars[index], scalars[index + 1]) {
                result += replacement(scalars[index], scalars[index + 1])
                index += 2
            } else {
                result.append(scalars[index])
                index += 1
            }
        }
        return result
    }

    /// The class `[\{-\~\[-\` -\&\(-\+\:-\@\/]`: ASCII symbols and space, except ' , - . and digits.
    private static func isSplitSymbol(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F: true
        default: false
        }
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    private static func isPeriodOrComma(_ scalar: Unicode.Scalar) -> Bool { scalar == "." || scalar == "," }

    /// Python's `str.isspace()`: the scalars `str.split()` and `str.rstrip()` treat as whitespace.
    static func isPythonWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }
}

extension String {
    /// Every occurrence of `target` replaced by `replacement`, left to right, comparing Unicode
    /// scalars (Python's `str.replace`), not canonically equivalent characters.
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        let source = Array(unicodeScalars), pattern = Array(target.unicodeScalars)
        guard source.count >= pattern.count else { return self }
        var result = String.UnicodeScalarView()
        var index = 0
        while index < source.count {
            if index + pattern.count <= source.count && source[index..<(index + pattern.count)].elementsEqual(pattern) {
                result.append(contentsOf: replacement.unicodeScalars)
                index += pattern.count
            } else {
                result.append(source[index])
                index += 1
            }
        }
        return String(result)
    }
}
