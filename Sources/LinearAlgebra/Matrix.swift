/// A dense real matrix stored column-major, the layout BLAS and LAPACK expect.
///
/// `Matrix` is a plain value: copies are independent (copy-on-write through `[Double]`).
/// Element `(i, j)` lives at `storage[i + j * rows]`.
public struct Matrix: Sendable, Equatable, CustomStringConvertible {
    public let rows: Int
    public let columns: Int
    /// Column-major elements, `rows * columns` of them.
    public var storage: [Double]

    /// A `rows × columns` matrix filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.columns = columns
        self.storage = Array(repeating: value, count: rows * columns)
    }

    /// A matrix over existing column-major storage.
    public init(rows: Int, columns: Int, columnMajor: [Double]) {
        precondition(columnMajor.count == rows * columns, "storage size must be rows × columns")
        self.rows = rows
        self.columns = columns
        self.storage = columnMajor
    }

    /// A matrix from its rows, as written on paper: `Matrix([[1, 2], [3, 4]])`.
    public init(_ rowsOfElements: [[Double]]) {
        let r = rowsOfElements.count
        let c = rowsOfElements.first?.count ?? 0
        precondition(rowsOfElements.allSatisfy { $0.count == c }, "every row must have the same length")
        self.init(rows: r, columns: c)
        for i in 0..<r { for j in 0..<c { self[i, j] = rowsOfElements[i][j] } }
    }

    /// The `n × n` identity.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    /// A diagonal matrix.
    public static func diagonal(_ d: [Double]) -> Matrix {
        var m = Matrix(rows: d.count, columns: d.count)
        for i in d.indices { m[i, i] = d[i] }
        return m
    }

    @inlinable
    public subscript(i: Int, j: Int) -> Double {
        get { storage[i + j * rows] }
        set { storage[i + j * rows] = newValue }
    }

    public var isSquare: Bool { rows == columns }

    public var transposed: Matrix {
        var t = Matrix(rows: columns, columns: rows)
        for i in 0..<rows { for j in 0..<columns { t[j, i] = self[i, j] } }
        return t
    }

    /// Column `j` as an array.
    public func column(_ j: Int) -> [Double] {
        Array(storage[(j * rows)..<((j + 1) * rows)])
    }

    /// Row `i` as an array.
    public func row(_ i: Int) -> [Double] {
        (0..<columns).map { self[i, $0] }
    }

    /// The largest absolute row sum (the matrix 1-norm of the transpose, ‖A‖∞).
    public var infinityNorm: Double {
        var best = 0.0
        for i in 0..<rows {
            var s = 0.0
            for j in 0..<columns { s += abs(self[i, j]) }
            best = Swift.max(best, s)
        }
        return best
    }

    /// The largest absolute column sum, ‖A‖₁.
    public var oneNorm: Double {
        var best = 0.0
        for j in 0..<columns {
            var s = 0.0
            for i in 0..<rows { s += abs(self[i, j]) }
            best = Swift.max(best, s)
        }
        return best
    }

    public var description: String {
        (0..<rows).map { i in row(i).map { "\($0)" }.joined(separator: " ") }.joined(separator: "\n")
    }
}
