import Foundation

/// A file in a fresh temporary directory, removed when the test's value goes away.
final class TemporaryFile {
    let directory: URL
    let path: String

    /// Writes `bytes` to a new file called `name`.
    init(_ bytes: [UInt8], name: String = "corpus.txt") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("quill-text-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Writes `text` as UTF-8.
    convenience init(text: String, name: String = "corpus.txt") throws { try self.init(Array(text.utf8), name: name) }

    /// A path beside the file that does not exist yet.
    func sibling(_ name: String) -> String { directory.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: directory) }
}
