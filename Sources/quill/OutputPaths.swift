import ArgumentParser
import Foundation

/// Throws a usage error, before any work starts, when the file `flag` names cannot be written as
/// a file (it is empty, an existing directory, or a device, pipe or socket) or is one of `inputs`
/// by any path (a symbolic or hard link too): writing it would destroy an input.
func checkOutput(_ output: String, flag: String = "--output", inputs: [(flag: String, path: String)]) throws {
    guard !output.isEmpty else { throw ValidationError("\(flag) is empty; give the file to write.") }
    var status = stat()
    if stat(output, &status) == 0 {
        switch status.st_mode & S_IFMT {
        case S_IFREG:
            break
        case S_IFDIR:
            throw ValidationError("\(flag) \(output) is a directory; give a file inside it, such as \(output)/model.safetensors.")
        default:
            // Output is written to a temporary file renamed over the path, which would replace a
            // device or a named pipe (as root, /dev/null itself) with a regular file.
            throw ValidationError("\(flag) \(output) exists and is not a regular file (a device, pipe or socket); give a file path.")
        }
    }
    if let input = inputs.first(where: { isSameFile(output, $0.path) }) {
        throw ValidationError("\(flag) \(output) is the \(input.flag) file; writing it would destroy it. Choose another path.")
    }
}

/// Whether `a` and `b` are one existing file: the same device and inode.
func isSameFile(_ a: String, _ b: String) -> Bool {
    var first = stat(), second = stat()
    return stat(a, &first) == 0 && stat(b, &second) == 0 && first.st_dev == second.st_dev && first.st_ino == second.st_ino
}
