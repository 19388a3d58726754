/// A classic BPF program as seccomp loads it (linux/filter.h,
/// seccomp(2)): the instructions libseccomp exports, and an interpreter
/// that runs them over one syscall as the kernel does. SeccompRelayout
/// reads programs with it and checks what it writes against what it read.
struct BPFProgram: Equatable {
    struct Instruction: Hashable {
        var code: UInt16
        var jt: UInt8
        var jf: UInt8
        var k: UInt32

        /// linux/bpf_common.h's fields of `code`.
        var instructionClass: UInt16 { code & 0x07 }
        var operation: UInt16 { code & 0xf0 }
        var usesX: Bool { code & 0x08 != 0 }
    }

    /// The classes, and the operations SeccompRelayout reads.
    static let load: UInt16 = 0x00, alu: UInt16 = 0x04, jump: UInt16 = 0x05, ret: UInt16 = 0x06
    static let loadWordAbsolute: UInt16 = 0x20, loadImmediate: UInt16 = 0x00, loadLength: UInt16 = 0x80
    static let jumpAlways: UInt16 = 0x00, jumpEqual: UInt16 = 0x10, jumpGreater: UInt16 = 0x20
    static let jumpGreaterOrEqual: UInt16 = 0x30, jumpSet: UInt16 = 0x40

    /// struct seccomp_data: nr, arch, instruction_pointer, args[6].
    static let dataSize: UInt32 = 64

    var instructions: [Instruction]

    init(_ instructions: [Instruction]) { self.instructions = instructions }

    /// From the bytes of struct sock_filter[], host (little-endian) order.
    init?(bytes: [UInt8]) {
        guard !bytes.isEmpty, bytes.count % 8 == 0 else { return nil }
        func word(_ at: Int, _ width: Int) -> UInt32 {
            (0..<width).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
        }
        instructions = stride(from: 0, to: bytes.count, by: 8).map { at in
            Instruction(code: UInt16(word(at, 2)), jt: bytes[at + 2], jf: bytes[at + 3], k: word(at + 4, 4))
        }
    }

    var bytes: [UInt8] {
        instructions.flatMap { instruction in
            [UInt8(truncatingIfNeeded: instruction.code), UInt8(instruction.code >> 8), instruction.jt, instruction.jf]
                + (0..<4).map { UInt8(truncatingIfNeeded: instruction.k >> (8 * $0)) }
        }
    }

    /// One syscall as seccomp presents it (struct seccomp_data).
    struct SeccompData {
        var nr: UInt32
        var arch: UInt32
        var instructionPointer: UInt64 = 0
        var args: [UInt64] = Array(repeating: 0, count: 6)

        /// The 32-bit word at `offset` of struct seccomp_data, or nil where
        /// the kernel would refuse the load.
        func word(at offset: UInt32) -> UInt32? {
            guard offset % 4 == 0, offset < BPFProgram.dataSize else { return nil }
            switch offset {
            case 0: return nr
            case 4: return arch
            case 8, 12: return UInt32(truncatingIfNeeded: instructionPointer >> (offset == 8 ? 0 : 32))
            default:
                let argument = args[Int(offset - 16) / 8]
                return UInt32(truncatingIfNeeded: argument >> ((offset - 16) % 8 == 0 ? 0 : 32))
            }
        }
    }

    /// What the program returns for `syscall`, or nil if it uses what this
    /// reader leaves out (the X register, scratch memory, RET A) or would
    /// not load (a jump past the end, an unaligned load).
    func run(_ syscall: SeccompData) -> UInt32? {
        var accumulator: UInt32 = 0
        var pc = 0
        while pc < instructions.count {
            let instruction = instructions[pc]
            pc += 1
            guard !instruction.usesX else { return nil }
            switch instruction.instructionClass {
            case Self.load:
                guard let value = Self.loaded(instruction, from: syscall) else { return nil }
                accumulator = value
            case Self.alu:
                guard let value = Self.arithmetic(instruction, on: accumulator) else { return nil }
                accumulator = value
            case Self.jump:
                if instruction.operation == Self.jumpAlways {
                    pc += Int(instruction.k)
                } else {
                    guard let taken = Self.compare(instruction, accumulator) else { return nil }
                    pc += Int(taken ? instruction.jt : instruction.jf)
                }
            case Self.ret:
                return instruction.code == Self.ret ? instruction.k : nil
            default:
                return nil
            }
        }
        return nil
    }

    /// A load's value: a field of the syscall, an immediate, or the data's
    /// length (seccomp turns BPF_LEN into the constant 64).
    static func loaded(_ instruction: Instruction, from syscall: SeccompData) -> UInt32? {
        switch instruction.code & 0xf8 {
        case loadWordAbsolute: syscall.word(at: instruction.k)
        case loadImmediate: instruction.k
        case loadLength: dataSize
        default: nil
        }
    }

    /// BPF_ALU with a constant operand, as the kernel computes it (32-bit,
    /// wrapping; a shift by 32 or more or a division by zero is refused at load).
    static func arithmetic(_ instruction: Instruction, on value: UInt32) -> UInt32? {
        let k = instruction.k
        switch instruction.operation {
        case 0x00: return value &+ k
        case 0x10: return value &- k
        case 0x20: return value &* k
        case 0x30: return k == 0 ? nil : value / k
        case 0x90: return k == 0 ? nil : value % k
        case 0x40: return value | k
        case 0x50: return value & k
        case 0xa0: return value ^ k
        case 0x60: return k >= 32 ? nil : value << k
        case 0x70: return k >= 32 ? nil : value >> k
        case 0x80: return 0 &- value
        default: return nil
        }
    }

    /// Whether a conditional jump with a constant operand is taken.
    static func compare(_ instruction: Instruction, _ value: UInt32) -> Bool? {
        switch instruction.operation {
        case jumpEqual: value == instruction.k
        case jumpGreater: value > instruction.k
        case jumpGreaterOrEqual: value >= instruction.k
        case jumpSet: value & instruction.k != 0
        default: nil
        }
    }
}
