/// Reads and writes checkpoints in the safetensors format of Hugging Face's `safetensors` package.
///
/// A file is an 8-byte little-endian header length `n`, an `n`-byte JSON header, then the raw
/// little-endian tensor data. The header maps each tensor name to its `dtype`, `shape` and
/// `data_offsets` (begin and end, relative to the data section), and may hold a
/// `__metadata__` map of strings. Quill writes float32 exactly as the Python package does, so
/// the same tensors and metadata give the same bytes; it reads F32, F16, BF16 and F64.
public enum SafeTensors {
    /// The largest header the reference implementation accepts.
    static let maxHeaderLength: UInt64 = 100_000_000
    /// The header key of the string-to-string metadata map.
    static let metadataKey = "__metadata__"

    /// The element types Quill reads, by their safetensors names.
    enum DataType: String {
        case float64 = "F64"
        case float32 = "F32"
        case float16 = "F16"
        case bfloat16 = "BF16"

        /// The bytes one element occupies.
        var byteWidth: Int {
            switch self {
            case .float64: 8
            case .float32: 4
            case .float16, .bfloat16: 2
            }
        }
    }

    /// One tensor's header entry, with its byte range relative to the data section.
    struct Entry {
        let name: String
        let dataType: String
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    /// A parsed header: the tensor entries in the order written and the metadata map.
    struct Header {
        var entries: [Entry] = []
        var metadata: [String: String] = [:]
    }

    /// The entries of `header` in data order, each with a readable type, after checking that
    /// they tile the `dataLength`-byte data section exactly, as the reference reader does.
    static func layout(of header: Header, dataLength: Int, path: String) throws -> [(Entry, DataType)] {
        let ordered = header.entries.sorted {
            ($0.begin, $0.end) != ($1.begin, $1.end)
                ? ($0.begin, $0.end) < ($1.begin, $1.end)
                : $0.name.utf8.lexicographicallyPrecedes($1.name.utf8)
        }
        var result: [(Entry, DataType)] = []
        result.reserveCapacity(ordered.count)
        var expected = 0
        for entry in ordered {
            guard let dataType = DataType(rawValue: entry.dataType) else {
                throw CheckpointError.unsupportedDataType(path: path, tensor: entry.name, dataType: entry.dataType)
            }
            guard entry.begin <= entry.end, entry.end <= dataLength else {
                throw CheckpointError.offsetsOutOfRange(path: path, tensor: entry.name, begin: entry.begin,
                                                        end: entry.end, dataLength: dataLength)
            }
            var bytes = dataType.byteWidth
            var overflow = false
            for extent in entry.shape where !overflow {
                (bytes, overflow) = bytes.multipliedReportingOverflow(by: extent)
            }
            guard !overflow, bytes == entry.end - entry.begin else {
                throw CheckpointError.shapeMismatch(path: path, tensor: entry.name, shape: entry.shape,
                                                    dataType: entry.dataType, byteCount: entry.end - entry.begin)
            }
            guard entry.begin == expected else {
                throw CheckpointError.nonContiguousOffsets(path: path, tensor: entry.name, begin: entry.begin,
                                                           expected: expected)
            }
            expected = entry.end
            result.append((entry, dataType))
        }
        guard expected == dataLength else {
            throw CheckpointError.trailingData(path: path, used: expected, dataLength: dataLength)
        }
        return result
    }
}

/// Converts IEEE half-precision bits to `Float`, exactly (every half is a float).
@inline(__always)
func floatFromHalfBits(_ bits: UInt16) -> Float {
    let sign: UInt32 = UInt32(bits & 0x8000) << 16
    let exponent = UInt32(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x3FF)
    if exponent == 0 {
        // Zero or subnormal: mantissa · 2⁻²⁴.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    }
    if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }
    return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
}

/// Converts bfloat16 bits (the top half of a float32) to `Float`.
@inline(__always)
func floatFromBFloat16Bits(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}
