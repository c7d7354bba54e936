import Foundation

/// A checkpoint file or saved optimizer state that cannot be read or written.
///
/// Every message names the file, what was wrong with it, and what to do about it.
public enum CheckpointError: Error, Equatable, LocalizedError {
    /// No file exists at `path`.
    case fileNotFound(path: String)
    /// The file exists but the system refused to open or read it.
    case unreadable(path: String, reason: String)
    /// The file is shorter than the 8-byte header length that starts every safetensors file.
    case truncated(path: String, fileSize: Int)
    /// The header length in the first 8 bytes runs past the end of the file.
    case headerLengthPastEnd(path: String, headerLength: UInt64, fileSize: Int)
    /// The header is longer than the 100 MB the safetensors format allows.
    case headerTooLarge(path: String, headerLength: UInt64)
    /// The JSON header is malformed or does not follow the safetensors schema.
    case invalidHeader(path: String, problem: String)
    /// A tensor is stored in a data type Quill does not read.
    case unsupportedDataType(path: String, tensor: String, dataType: String)
    /// A tensor's byte range does not hold exactly its shape's elements.
    case shapeMismatch(path: String, tensor: String, shape: [Int], dataType: String, byteCount: Int)
    /// A tensor's byte range lies outside the file's data section.
    case offsetsOutOfRange(path: String, tensor: String, begin: Int, end: Int, dataLength: Int)
    /// A tensor's bytes overlap the previous tensor's, or leave a gap after them.
    case nonContiguousOffsets(path: String, tensor: String, begin: Int, expected: Int)
    /// The data section holds bytes that no tensor covers.
    case trailingData(path: String, used: Int, dataLength: Int)
    /// The checkpoint could not be written; any previous file at `path` is untouched.
    case writeFailed(path: String, reason: String)
    /// Saved optimizer state does not fit the optimizer's parameters.
    case invalidOptimizerState(origin: String, key: String, problem: String)

    /// A sentence naming the file, the problem and the fix.
    public var errorDescription: String? {
        let damaged = "The file is damaged or was not written by a safetensors writer; save it again"
            + " (`safetensors.torch.save_file` in Python, or `quill train`)."
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such checkpoint file. Check the path, or train a model first with `quill train --output \(path)`."
        case .unreadable(let path, let reason):
            return "\(path): cannot read the checkpoint (\(reason)). Check the file's permissions and that it is a regular file."
        case .truncated(let path, let fileSize):
            return "\(path) is only \(fileSize) bytes, too short for a safetensors file (at least 8). "
                + "It was probably cut off while copying or saving; copy or save it again."
        case .headerLengthPastEnd(let path, let headerLength, let fileSize):
            return "\(path): the header claims \(headerLength) bytes but the file has only \(fileSize). "
                + "The file is truncated or is not a safetensors file; copy or save it again."
        case .headerTooLarge(let path, let headerLength):
            return "\(path): the header claims \(headerLength) bytes, more than the 100000000 the safetensors format allows. " + damaged
        case .invalidHeader(let path, let problem):
            return "\(path): invalid safetensors header: \(problem). " + damaged
        case .unsupportedDataType(let path, let tensor, let dataType):
            return "\(path): tensor \"\(tensor)\" has dtype \"\(dataType)\", which Quill cannot read (it reads F32, F16, BF16 and F64). "
                + "Convert the tensor to float32 before saving, for example with `tensor.float()` in PyTorch."
        case .shapeMismatch(let path, let tensor, let shape, let dataType, let byteCount):
            return "\(path): tensor \"\(tensor)\" has shape \(shape) of \(dataType) but its data_offsets span \(byteCount) bytes. " + damaged
        case .offsetsOutOfRange(let path, let tensor, let begin, let end, let dataLength):
            return "\(path): tensor \"\(tensor)\" has data_offsets [\(begin), \(end)] but the data section holds \(dataLength) bytes. "
                + "The file is truncated or damaged; copy or save it again."
        case .nonContiguousOffsets(let path, let tensor, let begin, let expected):
            let layout = begin < expected
                ? "overlaps the previous tensor's bytes (it starts at \(begin), before \(expected))"
                : "leaves a gap of \(begin - expected) bytes after the previous tensor (it starts at \(begin), not \(expected))"
            return "\(path): tensor \"\(tensor)\" \(layout). " + damaged
        case .trailingData(let path, let used, let dataLength):
            return "\(path): the tensors cover \(used) bytes but the data section holds \(dataLength); "
                + "the file has extra bytes at the end. " + damaged
        case .writeFailed(let path, let reason):
            return "\(path): cannot write the checkpoint (\(reason)); any previous file there is untouched. "
                + "Check that the directory exists, is writable and has free space."
        case .invalidOptimizerState(let origin, let key, let problem):
            return "\(origin): optimizer state \"\(key)\" \(problem). Resume with the model and optimizer settings "
                + "that wrote the checkpoint, or train from scratch without --resume."
        }
    }
}
