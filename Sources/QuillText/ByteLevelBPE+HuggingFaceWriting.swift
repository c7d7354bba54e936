extension ByteLevelBPE {
    /// Writes the tokenizer as a Hugging Face `tokenizer.json` to `path`.
    ///
    /// The Python `tokenizers` package loads the file and gives the same ids (with
    /// `encode_special_tokens = True`, so special-token text in the input stays raw text as in Quill).
    /// The file is replaced atomically; throws `TokenizerError` if it cannot be written.
    public func save(huggingFaceJSONTo path: String) throws {
        try FileIO.writeAtomically(huggingFaceJSON(), to: path)
    }

    /// The tokenizer as the UTF-8 bytes of a Hugging Face `tokenizer.json`.
    ///
    /// Special tokens go in `added_tokens` and, under their content, in the model's vocabulary
    /// (Hugging Face takes an added token's id from the vocabulary). Every other token is spelled in
    /// GPT-2's byte alphabet, in id order. The pre-split rule is the pre-tokenizer: GPT-2's as
    /// `ByteLevel(use_regex: true)`, Quill's as `Sequence[Split(regex), ByteLevel(use_regex: false)]`.
    func huggingFaceJSON() -> [UInt8] {
        var json = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": ["
        let specials = specialTokens.sorted { $0.value < $1.value }
        for (k, (content, id)) in specials.enumerated() {
            json += (k == 0 ? "\n" : ",\n") + "    {\"id\": \(id), \"content\": \(Self.quoted(content)), "
                + "\"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}"
        }
        json += specials.isEmpty ? "],\n" : "\n  ],\n"
        json += "  \"normalizer\": null,\n  \"pre_tokenizer\": \(preTokenizerJSON()),\n  \"post_processor\": null,\n"
        json += "  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true},\n"
        json += "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n"
        let unknown = compatibility.unknownId.flatMap { token(for: Int($0)) }
        json += "    \"unk_token\": \(unknown.map(Self.quoted) ?? "null"),\n"
        json += "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n"
        json += "    \"fuse_unk\": \(compatibility.fusesUnknown),\n    \"byte_fallback\": false,\n"
        json += "    \"ignore_merges\": \(compatibility.ignoresMerges),\n    \"vocab\": {"
        var first = true
        for id in 0..<vocabularySize {
            guard let spelling = token(for: id) else { continue }
            json += (first ? "\n" : ",\n") + "      \(Self.quoted(spelling)): \(id)"
            first = false
        }
        json += "\n    },\n    \"merges\": ["
        for (rank, rule) in merges.rules.enumerated() {
            let left = token(for: Int(rule.left)) ?? ""
            let right = token(for: Int(rule.right)) ?? ""
            json += (rank == 0 ? "\n" : ",\n") + "      [\(Self.quoted(left)), \(Self.quoted(right))]"
        }
        json += merges.count == 0 ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n"
        return Array(json.utf8)
    }

    /// The `pre_tokenizer` object for this tokenizer's pre-split rule.
    private func preTokenizerJSON() -> String {
        let prefix = compatibility.addsPrefixSpace
        switch preSplit {
        case .gpt2:
            return "{\"type\": \"ByteLevel\", \"add_prefix_space\": \(prefix), \"trim_offsets\": true, \"use_regex\": true}"
        case .gpt2KeepingMarks:
            return "{\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": "
                + Self.quoted(preSplit.pattern) + "}, \"behavior\": \"Isolated\", \"invert\": false}, "
                + "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": false}]}"
        }
    }

    /// `text` as a JSON string literal: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
