/// Writes one CSV file (SPEC §6: RFC 4180, comma, header row, `\n` line ends, UTF-8) through a
/// large in-memory buffer, computing the SHA-256 of the bytes as they go out.
///
/// Fields are added one at a time, with no `String` built per field; a row is ended with
/// `endRow()`. The buffer goes to disk in blocks of at least `blockSize` bytes (1 MiB by
/// default), always at a row boundary. Adding fields never throws: the first failure (an I/O
/// error, a row of the wrong width, a non-finite number) is kept, writing stops, and `close()`
/// throws it, so no data is ever lost silently. `close()` also syncs the file to disk.
///
/// After a successful `close()`, `sha256` is the digest of exactly the bytes in the file, so the
/// manifest needs no re-read. A writer dropped without `close()` leaves an incomplete file
/// (meant for a temporary results folder that is then abandoned).
///
/// Not for sharing between threads; to format rows in parallel, fill one `CSVRowEncoder` per
/// worker and `append` them in order.
///
/// ```
/// let writer = try CSVWriter(path: folder.path(for: "efficacy.csv"), header: ["REPLICATE", "ARM", "MEAN"])
/// writer.field(1); writer.field("Placebo"); writer.field(-0.25); writer.endRow()
/// try writer.close()
/// manifest.files["efficacy.csv"] = writer.sha256
/// ```
public final class CSVWriter {
    /// The file being written.
    public let path: String
    /// The column names, written as the first row.
    public let header: [String]
    /// Buffered bytes reaching this size are written out at the next row end.
    public let blockSize: Int
    /// Data rows (header excluded) ended so far.
    public private(set) var rowCount = 0
    /// Bytes written to the file so far (buffered bytes excluded until `close()`).
    public private(set) var bytesWritten = 0
    /// `bytesWritten` when the last background sync was started.
    private var bytesSynced = 0
    /// Bytes written between background syncs: a handful per large file (each sync commits
    /// the file system's journal), none for small files.
    static let backgroundSyncBytes = 4 << 20
    /// The SHA-256 (64 lowercase hex digits) of the file's bytes; set by a successful `close()`.
    public private(set) var sha256: String?

    private var file: WritableFile?
    private var pending: CSVRowEncoder
    private var hash = SHA256()
    private var failure: OutputError?
    /// Data rows already moved out of `pending` (to renumber the encoder's problems).
    private var rowsBeforePending = 0
    /// `pending` holds the header as its first row until the first flush.
    private var headerPending = true

    /// Creates (or truncates) the file at `path` and buffers the header row.
    ///
    /// - Throws: `OutputError.cannotOpenFile` with the path and `errno`.
    public init(path: String, header: [String], blockSize: Int = 1 << 20) throws(OutputError) {
        self.path = path
        self.header = header
        self.blockSize = max(blockSize, 1)
        self.file = try WritableFile(creating: path)
        pending = CSVRowEncoder(columnCount: header.count, reservedBytes: self.blockSize + 64 * 1024)
        for name in header { pending.field(name) }
        pending.endRow()
    }

    /// A number (the text of `formatNumber`), or an empty field for `nil`.
    /// A NaN or infinity is an error reported by `close()` (SPEC §6 never writes them).
    @inline(__always) public func field(_ value: Double?) { pending.field(value) }
    /// An integer as plain digits.
    @inline(__always) public func field(_ value: Int) { pending.field(value) }
    /// An integer as plain digits, or an empty field for `nil`.
    @inline(__always) public func field(_ value: Int?) { pending.field(value) }
    /// Text, quoted only when it holds a comma, a quote, CR or LF.
    @inline(__always) public func field(_ text: String) { pending.field(text) }
    /// An empty field (a missing value).
    @inline(__always) public func emptyField() { pending.emptyField() }

    /// Ends the current row; writes the buffer out once it holds `blockSize` bytes.
    public func endRow() {
        pending.endRow()
        rowCount += 1
        if pending.byteCount >= blockSize { flushPending() }
    }

    /// Appends complete rows encoded elsewhere (e.g. by a worker thread), after the rows so far.
    public func append(_ rows: CSVRowEncoder) {
        precondition(pending.fieldsInRow == 0, "CSVWriter.append inside an open row")
        let before = pending.rowCount
        pending.append(rows)
        rowCount += pending.rowCount - before
        if pending.byteCount >= blockSize { flushPending() }
    }

    /// Writes out every complete row buffered so far and reports the first failure, if any.
    /// Useful to learn of a full disk early; `close()` does it anyway.
    public func flush() throws(OutputError) {
        precondition(pending.fieldsInRow == 0, "CSVWriter.flush inside an open row")
        flushPending()
        if let failure { throw failure }
    }

    /// Writes the rest of the buffer, syncs and closes the file, and sets `sha256`.
    ///
    /// - Throws: the first failure seen while writing (`writeFailed` with `errno`, e.g. `ENOSPC`),
    ///   `rowWidthMismatch` or `nonFiniteNumber` (rows counted from 1 after the header), or
    ///   `closeFailed`. After a throw the file is incomplete and `sha256` stays `nil`.
    public func close() throws(OutputError) {
        guard let file else {
            if let failure { throw failure }
            return  // closed already
        }
        if pending.fieldsInRow > 0 {
            pending.endRow()  // records the width problem; the row is not dropped silently
            rowCount += 1
        }
        flushPending()
        self.file = nil
        // The 1 MiB buffer goes now, on the closing thread (often a background one), rather than
        // when the writer is released (W1: six of them unmapped after the commit, ~0.6 ms).
        pending = CSVRowEncoder(columnCount: header.count)
        if let failure {
            file.discard()
            throw failure
        }
        do {
            try file.close()
        } catch {
            failure = error
            throw error
        }
        sha256 = hash.finalize()
    }

    private func flushPending() {
        if failure == nil, let problem = pending.firstProblem {
            failure = translate(problem)
        }
        guard failure == nil, let file else {
            pending.removeAll()
            return
        }
        let writeFailure: OutputError? = pending.bytes.withUnsafeBytes { bytes in
            do throws(OutputError) {
                try file.write(bytes)
            } catch {
                return error
            }
            hash.update(bytes)
            return nil
        }
        if let writeFailure {
            failure = writeFailure
        } else {
            // The block's writeback starts now, while the run goes on, instead of all at the
            // final sync (tens of milliseconds for W1's 21 MB endpoints.csv).
            file.startWriteback(offset: bytesWritten, count: pending.bytes.count)
            bytesWritten += pending.bytes.count
            // Every few MiB, the file so far is made durable in the background (see
            // `WritableFile.syncInBackground`): the final sync then waits for little.
            if bytesWritten - bytesSynced >= Self.backgroundSyncBytes {
                file.syncInBackground()
                bytesSynced = bytesWritten
            }
        }
        rowsBeforePending += pending.rowCount - (headerPending ? 1 : 0)
        headerPending = false
        pending.removeAll()
    }

    private func translate(_ problem: CSVRowProblem) -> OutputError {
        let offset = rowsBeforePending - (headerPending ? 1 : 0)
        switch problem {
        case let .rowWidthMismatch(row, found):
            return .rowWidthMismatch(path: path, row: row + offset, expected: header.count, found: found)
        case let .nonFiniteNumber(row, column):
            return .nonFiniteNumber(path: path, row: row + offset, column: column)
        }
    }
}
