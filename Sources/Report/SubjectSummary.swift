import Foundation

/// What the page shows of subjects.csv: per arm, the subjects and dropouts of the first replicate
/// (REPLICATE of the first row; the file is in replicate order). Read without a record or a
/// `String` per subject: only REPLICATE, USUBJID (checked present), ARM and DROPOUT_TIME are
/// looked at, and an arm's name is made once.
public struct SubjectSummary: Equatable, Sendable {
    /// One arm's subjects in the first replicate.
    public struct Arm: Equatable, Sendable {
        public var name: String
        public var subjects: Int
        /// Subjects with a DROPOUT_TIME.
        public var dropouts: Int

        public init(name: String, subjects: Int, dropouts: Int) {
            self.name = name
            self.subjects = subjects
            self.dropouts = dropouts
        }
    }

    /// The REPLICATE counted; `nil` when subjects.csv has no rows.
    public var replicate: Int?
    /// The arms in the order they first appear in the file (arm names equal as `String`s are one
    /// arm).
    public var arms: [Arm]

    /// The subjects counted, over all arms.
    public var count: Int { arms.reduce(0) { $0 + $1.subjects } }

    public init(replicate: Int? = nil, arms: [Arm] = []) {
        self.replicate = replicate
        self.arms = arms
    }

    /// Counts `subjects` more subjects (`dropouts` of them with a DROPOUT_TIME) of the arm named
    /// `name` — a new arm after the others when no arm has that name yet — as reading their rows
    /// in file order would (for a writer that already holds the numbers).
    public mutating func count(arm name: String, subjects: Int, dropouts: Int) {
        if let index = arms.firstIndex(where: { $0.name == name }) {
            arms[index].subjects += subjects
            arms[index].dropouts += dropouts
        } else {
            arms.append(Arm(name: name, subjects: subjects, dropouts: dropouts))
        }
    }

    /// The arm named `name`, if it has subjects here.
    public func arm(named name: String) -> Arm? {
        arms.first { $0.name == name }
    }

    /// The file read, and the columns it must have (REPLICATE first, as the errors name it).
    static let fileName = "subjects.csv"
    static let columns = ["REPLICATE", "USUBJID", "ARM", "DROPOUT_TIME"]

    /// Reads `directory/subjects.csv` up to the end of its first replicate. Every row read is
    /// checked as `CSVRow` would: its field count, REPLICATE an integer, USUBJID and ARM present,
    /// DROPOUT_TIME empty or a finite number; the row that starts the next replicate only for its
    /// field count and REPLICATE.
    /// - Throws: `ReportError` naming the file, row, line and column at fault.
    init(resultsDirectory directory: String, blockSize: Int = CSVFileStream.blockSize) throws(ReportError) {
        let fileName = Self.fileName
        var header: CSVHeader?
        var replicateColumn = 0, subjectColumn = 0, armColumn = 0, dropoutColumn = 0
        var first: Int?
        var rowNumber = 0
        var interner = ArmInterner()
        try CSVFileStream.forEachRecord(in: directory, fileName: fileName, blockSize: blockSize) { record throws(ReportError) in
            guard let header else {
                let read = try CSVHeader(record, fileName: fileName, requiring: Self.columns)
                replicateColumn = read.columnIndex["REPLICATE"]!
                subjectColumn = read.columnIndex["USUBJID"]!
                armColumn = read.columnIndex["ARM"]!
                dropoutColumn = read.columnIndex["DROPOUT_TIME"]!
                header = read
                return true
            }
            try header.checkFieldCount(of: record)
            rowNumber += 1
            let fields = FieldReader(record: record, fileName: fileName, rowNumber: rowNumber)
            let replicate = try fields.requiredInteger(replicateColumn, "REPLICATE")
            if first == nil { first = replicate }
            guard replicate == first else { return false }
            try fields.requirePresent(subjectColumn, "USUBJID")
            let arm = record.field(armColumn)
            if arm.isEmpty { throw fields.missing("ARM") }
            let dropout = try fields.isNumber(dropoutColumn, "DROPOUT_TIME")
            interner.count(arm, dropout: dropout)
            return true
        }
        if header == nil { throw CSVHeader.emptyFile(fileName) }
        replicate = first
        arms = interner.arms
    }
}

/// Arm names as met in subjects.csv: the bytes of each distinct name seen, each mapped to its arm
/// (names whose text is equal as `String`s, e.g. two Unicode spellings of one name, share one).
private struct ArmInterner {
    var arms: [SubjectSummary.Arm] = []
    private var spellings: [[UInt8]] = []
    private var armOfSpelling: [Int] = []
    private var last = -1

    mutating func count(_ name: UnsafeBufferPointer<UInt8>, dropout: Bool) {
        let spelling = last >= 0 && matches(name, spellings[last]) ? last : find(name)
        last = spelling
        let arm = armOfSpelling[spelling]
        arms[arm].subjects += 1
        if dropout { arms[arm].dropouts += 1 }
    }

    private mutating func find(_ name: UnsafeBufferPointer<UInt8>) -> Int {
        if let known = spellings.firstIndex(where: { matches(name, $0) }) { return known }
        let text = String(decoding: name, as: UTF8.self)
        spellings.append(Array(name))
        if let arm = arms.firstIndex(where: { $0.name == text }) {
            armOfSpelling.append(arm)
        } else {
            armOfSpelling.append(arms.count)
            arms.append(SubjectSummary.Arm(name: text, subjects: 0, dropouts: 0))
        }
        return spellings.count - 1
    }

    private func matches(_ name: UnsafeBufferPointer<UInt8>, _ spelling: [UInt8]) -> Bool {
        name.count == spelling.count && spelling.withUnsafeBufferPointer { known in
            known.count == 0 || memcmp(known.baseAddress!, name.baseAddress!, known.count) == 0
        }
    }
}

/// Reads a record's fields by position with `CSVRow`'s rules and errors.
private struct FieldReader {
    let record: CSVRecordView
    let fileName: String
    let rowNumber: Int

    func missing(_ column: String) -> ReportError {
        .missingValue(file: fileName, row: rowNumber, line: record.line, column: column)
    }

    func malformed(_ column: String, _ field: UnsafeBufferPointer<UInt8>) -> ReportError {
        .malformedNumber(file: fileName, row: rowNumber, line: record.line, column: column,
                         text: String(decoding: field, as: UTF8.self))
    }

    func requirePresent(_ index: Int, _ column: String) throws(ReportError) {
        if record.field(index).isEmpty { throw missing(column) }
    }

    /// `CSVRow.requiredInteger`: plain digits with an optional sign, within `Int`.
    func requiredInteger(_ index: Int, _ column: String) throws(ReportError) -> Int {
        let field = record.field(index)
        if field.isEmpty { throw missing(column) }
        if field.count <= 18 {  // digits only: no overflow possible
            var value = 0
            var digitsOnly = true
            for byte in field {
                let digit = byte &- UInt8(ascii: "0")
                if digit > 9 { digitsOnly = false; break }
                value = value &* 10 &+ Int(digit)
            }
            if digitsOnly { return value }
        }
        guard let value = Int(String(decoding: field, as: UTF8.self)) else { throw malformed(column, field) }
        return value
    }

    /// Whether the field holds a number (false when empty), checked as `CSVRow.number` does.
    func isNumber(_ index: Int, _ column: String) throws(ReportError) -> Bool {
        let field = record.field(index)
        if field.isEmpty { return false }
        guard CSVRow.finiteDecimal(String(decoding: field, as: UTF8.self)) != nil else { throw malformed(column, field) }
        return true
    }
}
