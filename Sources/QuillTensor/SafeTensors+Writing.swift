#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SafeTensors {
    /// The element type a file is written in.
    public enum Precision: String, CaseIterable, Sendable {
        /// IEEE single precision, as Quill computes: the file holds the tensors exactly.
        case float32
        /// IEEE half precision, rounded to nearest even: half the size, for sharing a trained
        /// model. Values beyond ±65504 become infinite, so reading such a file back fails the
        /// finite-weights check rather than computing with them.
        case float16

        var dataType: DataType { self == .float32 ? .float32 : .float16 }
    }

    /// Writes `tensors` in `precision` (float32 unless told) and `metadata` to a safetensors file
    /// at `path`, atomically.
    ///
    /// Tensors are laid out in byte order of their names and metadata keys are sorted the same
    /// way, so equal contents always give equal bytes, identical to the Python package's output
    /// (whose metadata order is a hash map's). Empty `metadata` is omitted, as Python does for
    /// `metadata=None`. The file is written to a temporary file in the same directory, synced,
    /// and renamed over `path`, so a crash leaves either the old file or the new one, never half.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String,
                             precision: Precision = .float32) throws {
        precondition(tensors[metadataKey] == nil, "\"\(metadataKey)\" is reserved for metadata and cannot name a tensor")
        let names = tensors.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let dense = names.map { tensors[$0]!.contiguousNoGrad() }
        var entries: [Entry] = []
        var offset = 0
        for (name, tensor) in zip(names, dense) {
            let end = offset + tensor.count * precision.dataType.byteWidth
            entries.append(Entry(name: name, dataType: precision.dataType.rawValue, shape: tensor.shape, begin: offset, end: end))
            offset = end
        }
        let sortedMetadata = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { (key: $0.key, value: $0.value) }
        let header = encodeHeader(entries, metadata: sortedMetadata)
        var prefix = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) }
        prefix.append(contentsOf: header)

        let (directory, base) = splitPath(path)
        let temporary = "\(directory)/.\(base).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw CheckpointError.writeFailed(path: path, reason: systemError("creating \(temporary)")) }
        var isOpen = true
        defer { if isOpen { close(descriptor) } }
        do {
            try prefix.withUnsafeBytes { try writeAll(descriptor, $0, path: path) }
            for tensor in dense {
                switch precision {
                case .float32: try writeFloats(descriptor, tensor, path: path)
                case .float16: try writeHalves(descriptor, tensor, path: path)
                }
            }
            guard fsync(descriptor) == 0 else { throw CheckpointError.writeFailed(path: path, reason: systemError("syncing")) }
            isOpen = false
            guard close(descriptor) == 0 else { throw CheckpointError.writeFailed(path: path, reason: systemError("closing")) }
            guard rename(temporary, path) == 0 else {
                throw CheckpointError.writeFailed(path: path, reason: systemError("renaming \(temporary) over it"))
            }
        } catch {
            unlink(temporary)
            throw error
        }
        syncDirectory(directory)
    }

    /// Removes the temporary files that writes of `path` left when their process died mid-write
    /// (`kill -9`, a crash, a power cut), which no one else would ever remove; a file of a
    /// process still running is left alone. Returns the paths removed.
    @discardableResult
    public static func removeAbandonedTemporaryFiles(of path: String) -> [String] {
        let (directory, base) = splitPath(path)
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var removed: [String] = []
        let prefix = ".\(base)."
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            // ".BASE.PID.RANDOM.tmp", as `write` names it.
            guard name.hasPrefix(prefix), name.hasSuffix(".tmp") else { continue }
            let parts = name.dropFirst(prefix.count).dropLast(".tmp".count).split(separator: ".")
            guard parts.count == 2, let pid = pid_t(parts[0]), UInt32(parts[1]) != nil else { continue }
            guard kill(pid, 0) != 0 && errno == ESRCH else { continue }
            if unlink("\(directory)/\(name)") == 0 { removed.append("\(directory)/\(name)") }
        }
        return removed
    }

    /// The JSON header for float32 `entries` and `metadata`, byte for byte as the Python package
    /// writes it: compact, `__metadata__` first, then the tensors, padded with spaces to a
    /// multiple of 8 bytes.
    static func encodeHeader(_ entries: [Entry], metadata: [(key: String, value: String)]) -> [UInt8] {
        var out: [UInt8] = []
        out.append(UInt8(ascii: "{"))
        var first = true
        func separator() {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
        }
        if !metadata.isEmpty {
            separator()
            appendJSONString(metadataKey, to: &out)
            out.append(contentsOf: Array(":{".utf8))
            for (index, item) in metadata.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendJSONString(item.key, to: &out)
                out.append(UInt8(ascii: ":"))
                appendJSONString(item.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        for entry in entries {
            separator()
            appendJSONString(entry.name, to: &out)
            let shape = entry.shape.map(String.init).joined(separator: ",")
            out.append(contentsOf: Array(":{\"dtype\":\"\(entry.dataType)\",\"shape\":[\(shape)],\"data_offsets\":[\(entry.begin),\(entry.end)]}".utf8))
        }
        out.append(UInt8(ascii: "}"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - out.count % 8) % 8))
        return out
    }

    /// Appends `text` as a JSON string with serde_json's escapes: `\"`, `\\`, the short forms
    /// `\b \f \n \r \t`, `\u00xx` (lowercase) for other control characters, everything else raw UTF-8.
    private static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, byte])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x08: out.append(contentsOf: [92, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [92, UInt8(ascii: "f")])
            case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20: out.append(contentsOf: Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The directory (`.` when none) and file name of `path`.
    private static func splitPath(_ path: String) -> (directory: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// Writes every byte of `bytes`, retrying short writes.
    private static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var done = 0
        while done < bytes.count {
            let result = posixWrite(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { throw CheckpointError.writeFailed(path: path, reason: systemError("writing")) }
            done += result
        }
    }

    /// Writes the elements of dense `tensor` as little-endian float32.
    private static func writeFloats(_ descriptor: Int32, _ tensor: Tensor, path: String) throws {
        #if _endian(little)
        try writeAll(descriptor, UnsafeRawBufferPointer(start: tensor.data, count: tensor.count * 4), path: path)
        #else
        let swapped = tensor.toArray().map { $0.bitPattern.littleEndian }
        try swapped.withUnsafeBytes { try writeAll(descriptor, $0, path: path) }
        #endif
    }

    /// Writes the elements of dense `tensor` as little-endian IEEE half precision.
    private static func writeHalves(_ descriptor: Int32, _ tensor: Tensor, path: String) throws {
        let halves = UnsafeBufferPointer(start: tensor.data, count: tensor.count).map { Float16($0).bitPattern.littleEndian }
        try halves.withUnsafeBytes { try writeAll(descriptor, $0, path: path) }
    }

    /// Syncs `directory` so the rename itself survives a crash. Best effort: some file systems
    /// cannot sync a directory, and the new file is already in place.
    private static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    /// "`operation`: <strerror(errno)>".
    private static func systemError(_ operation: String) -> String {
        "\(operation): \(String(cString: strerror(errno)))"
    }
}

/// POSIX `write`, named apart from ``SafeTensors/write(_:metadata:to:)``.
private func posixWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
