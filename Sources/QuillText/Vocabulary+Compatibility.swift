extension Vocabulary {
    /// Throws `TokenizerError.incompatibleVocabulary` naming the first setting that differs from
    /// `expected` (tokenizer kind, normalization form, case mapping, whitespace cleanup).
    ///
    /// A model records the settings it was trained with; loading a vocabulary built differently
    /// would silently give it different ids for the same text.
    public func checkCompatible(with expected: TokenizerSettings) throws(TokenizerError) {
        let found = settings
        let checks: [(String, String, String)] = [
            ("tokenizer", expected.kind.rawValue, found.kind.rawValue),
            ("normalization form", expected.normalization.form.rawValue, found.normalization.form.rawValue),
            ("case mapping", expected.normalization.caseMapping.rawValue, found.normalization.caseMapping.rawValue),
            ("whitespace cleanup", expected.normalization.whitespace.rawValue, found.normalization.whitespace.rawValue),
        ]
        for (setting, expectedValue, foundValue) in checks where expectedValue != foundValue {
            throw .incompatibleVocabulary(path: source, setting: setting, expected: expectedValue, found: foundValue)
        }
    }

    /// Throws `TokenizerError.incompatibleVocabulary` naming the first difference from `expected`:
    /// a setting, the vocabulary size, or the first id whose token differs.
    public func checkCompatible(with expected: Vocabulary) throws(TokenizerError) {
        try checkCompatible(with: expected.settings)
        guard count == expected.count else {
            throw .incompatibleVocabulary(path: source, setting: "vocabulary size", expected: "\(expected.count)", found: "\(count)")
        }
        for id in 0..<count where token(for: id) != expected.token(for: id) {
            throw .incompatibleVocabulary(
                path: source, setting: "token \(id)", expected: "\"\(expected.token(for: id)!)\"", found: "\"\(token(for: id)!)\"")
        }
    }
}
