/// Any JSON value, for the small pipeline stages of a `tokenizer.json` whose shape varies by `type`.
enum HuggingFaceJSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([HuggingFaceJSONValue])
    case object([String: HuggingFaceJSONValue])

    /// Decodes whichever JSON value comes next.
    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([HuggingFaceJSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: HuggingFaceJSONValue].self))
        }
    }

    /// The member `key` of an object (nil for absent members and non-objects).
    subscript(key: String) -> HuggingFaceJSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The value as a string, if it is one.
    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The value as a Boolean, if it is one.
    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// Whether the value is JSON null.
    var isNull: Bool { self == .null }

    /// The value written back as compact JSON, for error messages.
    var compactDescription: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return "\(value)"
        case .number(let value): return "\(value)"
        case .string(let value): return value.debugDescription
        case .array(let values): return "[" + values.map(\.compactDescription).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.sorted { $0.key < $1.key }
                .map { "\($0.key.debugDescription):\($0.value.compactDescription)" }.joined(separator: ",") + "}"
        }
    }
}
