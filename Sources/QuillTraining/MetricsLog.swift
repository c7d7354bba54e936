import Foundation

/// Appends one JSON object per line to `MODEL.metrics.jsonl` beside a model.
///
/// Each record carries `step`, `elapsed_s`, `train_loss`, `tokens_per_s`, and the
/// evaluation figures (`val_loss`, or a VAE's terms) when evaluated. A logged step also records
/// the process's memory, in MiB: `rss_mb` now, `peak_rss_mb`, and the tensor pool's `pool_mb`
/// (in tensors or cached) and `pool_cached_mb`.
///
/// A fresh run writes its log beside the old one (`MODEL.metrics.jsonl.new`) until
/// ``commit()``, which the trainer calls once the run's first checkpoint has replaced the old
/// model: a run that fails before then leaves the old model and its log as they were.
public final class MetricsLog {
    /// Where the log belongs.
    public let url: URL
    /// Where records go until ``commit()``: `url` itself, except for a fresh run.
    private var stagingURL: URL?
    private let handle: FileHandle

    /// The fields that measure the machine rather than the training: two runs of the same
    /// training, with the same seed and threads, differ only in these.
    public static let machineFields: Set<String> = [
        "elapsed_s", "tokens_per_s", "rss_mb", "peak_rss_mb", "pool_mb", "pool_cached_mb",
    ]

    /// The metrics file that belongs beside `modelPath`: `run.safetensors` → `run.metrics.jsonl`.
    public static func url(forModelAt modelPath: String) -> URL {
        var path = modelPath
        if path.hasSuffix(".safetensors") { path.removeLast(".safetensors".count) }
        return URL(fileURLWithPath: path + ".metrics.jsonl")
    }

    /// Opens the log for appending, or, when `fresh` (a new run, not a resume), starts a new one
    /// that replaces it at ``commit()``.
    public init(url: URL, fresh: Bool) throws {
        self.url = url
        let manager = FileManager.default
        stagingURL = fresh ? URL(fileURLWithPath: url.path + ".new") : nil
        let target = stagingURL ?? url
        if fresh || !manager.fileExists(atPath: url.path) {
            guard manager.createFile(atPath: target.path, contents: nil) else {
                throw TrainingError.cannotWrite(url.path)
            }
        }
        handle = try FileHandle(forWritingTo: target)
        try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    /// Puts a fresh run's log in place of the old one; later records follow it there (the open
    /// handle moves with the file). Does nothing for a resumed run or a second time.
    public func commit() throws {
        guard let stagingURL else { return }
        guard rename(stagingURL.path, url.path) == 0 else { throw TrainingError.cannotWrite(url.path) }
        self.stagingURL = nil
    }

    /// Makes the log at `url` fit a checkpoint saved at `step`, before a resumed run appends to
    /// it, as a run stopped by a crash or `kill -9` may leave it: drops a torn last line (a
    /// record cut off mid-write, as a full disk or a crash of the machine leaves it) and the
    /// records of later steps, which the resumed run logs again; and puts in place the staged log
    /// of a first run that saved its checkpoint but stopped before ``commit()``. Returns a note
    /// for each change; rewrites the file atomically, and only when something changes.
    public static func recover(_ url: URL, resumingAt step: Int) throws -> [String] {
        var notes: [String] = []
        let staged = url.path + ".new"
        let manager = FileManager.default
        if !manager.fileExists(atPath: url.path) && manager.fileExists(atPath: staged) {
            guard rename(staged, url.path) == 0 else { throw TrainingError.cannotWrite(url.path) }
            notes.append("note: \(staged) was the log of the run that saved the checkpoint, which stopped before putting it in place; it is now \(url.path).")
        }
        guard let data = manager.contents(atPath: url.path), !data.isEmpty else { return notes }
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let changes = notes.count
        // The piece after the last line feed is empty when the log ends in one, as it should.
        if let last = lines.popLast(), !last.isEmpty {
            notes.append("note: \(url.path) ended in a torn line (\(last.count) bytes without a line feed), a record cut off as it was written; it is left out.")
        }
        let kept = lines.filter { line in
            let record = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            return ((record?["step"] as? NSNumber)?.intValue ?? 0) <= step
        }
        if kept.count < lines.count {
            let dropped = lines.count - kept.count
            notes.append("note: \(url.path) held \(dropped) record\(dropped == 1 ? "" : "s") of steps after \(step), where the checkpoint resumed from was saved; the resumed run logs those steps again.")
        }
        guard notes.count > changes else { return notes }
        var text = Data()
        for line in kept { text.append(contentsOf: line); text.append(UInt8(ascii: "\n")) }
        do {
            try text.write(to: url, options: .atomic)
        } catch {
            throw TrainingError.cannotWrite(url.path)
        }
        return notes
    }

    /// Removes a fresh run's log that was never committed: the run saved no checkpoint.
    public func discardUncommitted() {
        guard let stagingURL else { return }
        try? FileManager.default.removeItem(at: stagingURL)
        self.stagingURL = nil
    }

    /// Writes one record. Keys are sorted so lines diff cleanly.
    public func append(_ record: [String: Double]) throws {
        var parts: [String] = []
        for key in record.keys.sorted() {
            let value = record[key]!
            let text: String
            if !value.isFinite {
                text = "null"
            } else if key == "step" || value == value.rounded() && abs(value) < 1e15 && key != "train_loss" {
                text = String(Int(value))
            } else {
                text = "\(value)"
            }
            parts.append("\"\(key)\":\(text)")
        }
        let line = "{" + parts.joined(separator: ",") + "}\n"
        try handle.write(contentsOf: Data(line.utf8))
    }

    /// Reads every record of a metrics log.
    public static func read(_ url: URL) throws -> [[String: Double]] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw TrainingError.missingFile(url.path)
        }
        var records: [[String: Double]] = []
        for line in text.split(separator: "\n") where !line.isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            var record: [String: Double] = [:]
            for (key, value) in object {
                if let number = value as? NSNumber { record[key] = number.doubleValue }
            }
            records.append(record)
        }
        return records
    }
}
