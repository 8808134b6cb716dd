import Foundation
import Output
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure reading a shard's file or writing a merged one, naming the path and errno.
struct ShardFileError: Error, CustomStringConvertible {
    var path: String
    var operation: String
    var code: Int32
    var description: String { "cannot \(operation) '\(path)': \(String(cString: strerror(code))) (errno \(code))" }
}

/// Reads a file in blocks with POSIX read(2).
final class ByteReader {
    let path: String
    private var descriptor: Int32
    static let blockSize = 1 << 20

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw ShardFileError(path: path, operation: "open", code: errno) }
    }

    /// The next block (empty at the end of the file).
    func readBlock() throws -> [UInt8] {
        var block = [UInt8](repeating: 0, count: Self.blockSize)
        while true {
            let n = block.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, Self.blockSize) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw ShardFileError(path: path, operation: "read", code: errno) }
            block.removeSubrange(n...)
            return block
        }
    }

    func close() {
        if descriptor >= 0 { _ = systemClose(descriptor); descriptor = -1 }
    }

    deinit { close() }
}

/// Splits a CSV file (RFC 4180, `\n` line ends) into records as raw bytes, line end included,
/// so that merged files are the shards' bytes unchanged. A line break inside a quoted field does
/// not end a record.
final class CSVRecordReader {
    private let reader: ByteReader
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private var pending: [UInt8]?

    init(path: String) throws {
        reader = try ByteReader(path: path)
    }

    /// The next record without consuming it; nil at the end of the file.
    func peek() throws -> [UInt8]? {
        if pending == nil { pending = try readRecord() }
        return pending
    }

    /// Drops the record `peek()` returned.
    func consume() { pending = nil }

    /// The next record, consumed; nil at the end of the file.
    func next() throws -> [UInt8]? {
        let record = try peek()
        pending = nil
        return record
    }

    func close() { reader.close() }

    private func readRecord() throws -> [UInt8]? {
        var scan = position
        var quoted = false
        while true {
            while scan < buffer.count {
                let byte = buffer[scan]
                if byte == UInt8(ascii: "\"") {
                    quoted.toggle()
                } else if byte == UInt8(ascii: "\n") && !quoted {
                    let record = Array(buffer[position...scan])
                    position = scan + 1
                    return record
                }
                scan += 1
            }
            if atEnd {
                guard position < buffer.count else { return nil }
                let record = Array(buffer[position...])  // a last record without a line end
                position = buffer.count
                return record
            }
            // Keep the unread part and read more.
            buffer.removeSubrange(0..<position)
            scan -= position
            position = 0
            let block = try reader.readBlock()
            if block.isEmpty { atEnd = true } else { buffer.append(contentsOf: block) }
        }
    }
}

/// A new file written through a buffer, hashed as written, synced at `close()`.
final class OutputFile {
    let path: String
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private var hash = SHA256()

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw ShardFileError(path: path, operation: "create", code: errno) }
        buffer.reserveCapacity(ByteReader.blockSize)
    }

    func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= ByteReader.blockSize { try flush() }
    }

    private func flush() throws {
        hash.update(buffer)
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { systemWrite(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ShardFileError(path: path, operation: "write", code: errno) }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs and closes; returns the SHA-256 of everything written.
    func close() throws -> String {
        try flush()
        guard fsync(descriptor) == 0 else { throw ShardFileError(path: path, operation: "sync", code: errno) }
        let result = systemClose(descriptor)
        descriptor = -1
        guard result == 0 else { throw ShardFileError(path: path, operation: "close", code: errno) }
        return hash.finalize()
    }

    /// Closes and deletes the file.
    func discard() {
        if descriptor >= 0 { _ = systemClose(descriptor); descriptor = -1 }
        _ = unlink(path)
    }

    deinit { if descriptor >= 0 { _ = systemClose(descriptor) } }
}

private func systemClose(_ descriptor: Int32) -> Int32 { close(descriptor) }
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(descriptor, bytes, count) }
