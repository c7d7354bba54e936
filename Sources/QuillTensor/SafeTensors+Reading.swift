#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SafeTensors {
    /// Reads every tensor and the metadata of the safetensors file at `path`.
    ///
    /// The header is checked completely before any tensor is allocated: offsets must tile the
    /// data section exactly and match each shape, so a damaged or hostile file throws a
    /// ``CheckpointError`` and never allocates more than the file's size. Float32 data is read
    /// straight into the tensors; F16, BF16 and F64 are converted to `Float`.
    public static func read(_ path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let file = try InputFile(path: path)
        defer { close(file.descriptor) }
        guard file.size >= 8 else { throw CheckpointError.truncated(path: path, fileSize: file.size) }
        var lengthBytes = [UInt8](repeating: 0, count: 8)
        try lengthBytes.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
        let headerLength = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard headerLength <= UInt64(file.size - 8) else {
            throw CheckpointError.headerLengthPastEnd(path: path, headerLength: headerLength, fileSize: file.size)
        }
        guard headerLength <= maxHeaderLength else {
            throw CheckpointError.headerTooLarge(path: path, headerLength: headerLength)
        }
        var headerBytes = [UInt8](repeating: 0, count: Int(headerLength))
        try headerBytes.withUnsafeMutableBytes { try file.read(into: $0, at: 8) }
        let header = try parseHeader(headerBytes, path: path)
        let dataStart = 8 + Int(headerLength)
        let entries = try layout(of: header, dataLength: file.size - dataStart, path: path)

        var tensors: [String: Tensor] = [:]
        tensors.reserveCapacity(entries.count)
        var scratch: [UInt8] = []
        for (entry, dataType) in entries {
            let tensor = Tensor(uninitializedShape: entry.shape)
            let byteCount = entry.end - entry.begin
            let offset = dataStart + entry.begin
            #if _endian(little)
            if dataType == .float32 {
                try file.read(into: UnsafeMutableRawBufferPointer(start: tensor.data, count: byteCount), at: offset)
                tensors[entry.name] = tensor
                continue
            }
            #endif
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: repeatElement(0, count: byteCount))
            try scratch.withUnsafeMutableBytes { try file.read(into: $0, at: offset) }
            scratch.withUnsafeBytes { convert($0, dataType, to: tensor.data, count: tensor.count) }
            tensors[entry.name] = tensor
        }
        return (tensors, header.metadata)
    }

    /// Converts `count` little-endian elements of `dataType` from `source` to floats.
    private static func convert(_ source: UnsafeRawBufferPointer, _ dataType: DataType,
                                to destination: UnsafeMutablePointer<Float>, count: Int) {
        switch dataType {
        case .float32:
            for i in 0..<count {
                destination[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        case .float64:
            for i in 0..<count {
                destination[i] = Float(Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            }
        case .float16:
            for i in 0..<count {
                destination[i] = floatFromHalfBits(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .bfloat16:
            for i in 0..<count {
                destination[i] = floatFromBFloat16Bits(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        }
    }
}

/// An open regular file and its size, read with `pread`.
private struct InputFile {
    let path: String
    let descriptor: Int32
    let size: Int

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { throw CheckpointError.fileNotFound(path: path) }
            throw CheckpointError.unreadable(path: path, reason: String(cString: strerror(code)))
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw CheckpointError.unreadable(path: path, reason: reason)
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw CheckpointError.unreadable(path: path, reason: "not a regular file")
        }
        size = Int(status.st_size)
    }

    /// Fills `buffer` from byte `offset`, retrying short reads; a file that shrank throws.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < buffer.count {
            let result = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                let reason = result == 0 ? "the file ended early; it changed while being read" : String(cString: strerror(errno))
                throw CheckpointError.unreadable(path: path, reason: reason)
            }
            done += result
        }
    }
}
