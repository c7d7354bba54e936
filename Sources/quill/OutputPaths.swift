import ArgumentParser
import Foundation

/// Throws a usage error, before any work starts, when the file `flag` names cannot be written as
/// a file (it is empty or an existing directory) or is one of `inputs` by any path (a symbolic or
/// hard link too): writing it would destroy an input.
func checkOutput(_ output: String, flag: String = "--output", inputs: [(flag: String, path: String)]) throws {
    guard !output.isEmpty else { throw ValidationError("\(flag) is empty; give the file to write.") }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory), isDirectory.boolValue {
        throw ValidationError("\(flag) \(output) is a directory; give a file inside it, such as \(output)/model.safetensors.")
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
