/// libseccomp's filter, laid out again in fewer instructions: the same
/// decision for every syscall, as a binary search over ranges of syscall
/// numbers instead of one comparison per syscall name.
///
/// Why: the kernel checks, converts and JIT-compiles every instruction of
/// a filter when a container loads it, and with Docker's profile that was
/// the largest single step of the child (0.45 ms for 1293 instructions).
/// Docker's allow list is mostly runs of neighbouring numbers (60 ranges
/// for x86-64's 301 allowed syscalls), and libseccomp tests each one.
///
/// How: libseccomp stays the judge of what the profile means. Its program
/// is run symbolically over intervals of arch and syscall number (the only
/// fields it branches on before any argument), which splits the whole
/// input space into regions with one outcome each: a return value, or, for
/// the few syscalls whose rules look at arguments, what is left of the
/// program once arch and number are known. Neighbouring regions with the
/// same outcome merge, and the result is written as two binary searches
/// (arch, then number) over those regions. Finally both programs are run
/// on the corners of every region with argument values taken from the
/// comparisons; any difference, or anything this reader does not model
/// (the X register, scratch memory, a bit test of the number), and the
/// caller keeps libseccomp's program as it was.
enum SeccompRelayout {
    /// Part of the compiled filters' cache key: a change here compiles anew.
    static let version = 2

    /// The shorter equivalent of `program`, or nil to keep `program`. A
    /// filter of a few rules is short already, and written again as ranges
    /// it may grow.
    static func shorten(_ program: BPFProgram) -> BPFProgram? {
        relaid(program).flatMap { $0.instructions.count < program.instructions.count ? $0 : nil }
    }

    /// `program` written again as searches over ranges, or nil if it is
    /// beyond the reader or the two disagree anywhere they are compared.
    static func relaid(_ program: BPFProgram) -> BPFProgram? {
        var reader = SymbolicReader(program: program)
        guard let regions = try? reader.regions() else { return nil }
        var writer = Writer(regions: regions)
        guard let written = try? writer.program(), agree(program, written, on: regions) else { return nil }
        return written
    }

    // MARK: - What a region's syscalls get

    /// An inclusive range of a 32-bit field.
    struct Span: Hashable {
        var low: UInt32
        var high: UInt32
        static let all = Span(low: 0, high: .max)
        var point: UInt32? { low == high ? low : nil }
    }

    /// A set of (arch, number) pairs that the program treats alike.
    struct Region: Hashable {
        var arch: Span
        var nr: Span
    }

    /// A word of the syscall's arguments (or instruction pointer) after
    /// constant arithmetic: what an argument comparison compares.
    struct Operand: Hashable {
        var offset: UInt32
        var arithmetic: [BPFProgram.Instruction]
    }

    /// A region's outcome: a return value, or a comparison of an operand
    /// with a constant and the outcome of each branch.
    indirect enum Outcome: Hashable {
        case ret(UInt32)
        case test(Operand, jump: BPFProgram.Instruction, taken: Outcome, notTaken: Outcome)
    }

    /// Something the reader does not model: the caller keeps the program.
    struct Unsupported: Error {}

    // MARK: - Reading libseccomp's program

    /// Runs the program over regions instead of values. The accumulator
    /// holds a known value, one of the two fields unresolved in the
    /// region, or an argument operand.
    struct SymbolicReader {
        enum Accumulator: Hashable {
            case known(UInt32)
            case nr
            case arch
            case operand(Operand)
        }

        struct Visit: Hashable {
            var pc: Int
            var accumulator: Accumulator
            var region: Region
        }

        let program: BPFProgram
        /// A program branches back to shared code (the default action, the
        /// next syscall's test) from many places; each place and region is
        /// read once.
        var seen: [Visit: [(Region, Outcome)]] = [:]

        init(program: BPFProgram) { self.program = program }

        mutating func regions() throws(Unsupported) -> [(Region, Outcome)] {
            try read(Visit(pc: 0, accumulator: .known(0), region: Region(arch: .all, nr: .all)))
        }

        private mutating func read(_ visit: Visit) throws(Unsupported) -> [(Region, Outcome)] {
            if let known = seen[visit] { return known }
            var (pc, accumulator, region) = (visit.pc, visit.accumulator, visit.region)
            var result: [(Region, Outcome)] = []
            reading: while true {
                guard pc < program.instructions.count else { throw Unsupported() }
                let instruction = program.instructions[pc]
                pc += 1
                guard !instruction.usesX else { throw Unsupported() }
                switch instruction.instructionClass {
                case BPFProgram.load:
                    accumulator = try Self.load(instruction, in: region)
                case BPFProgram.alu:
                    guard case let .known(value) = accumulator else {
                        guard case var .operand(operand) = accumulator else { throw Unsupported() }
                        guard BPFProgram.arithmetic(instruction, on: 1) != nil else { throw Unsupported() }
                        operand.arithmetic.append(instruction)
                        accumulator = .operand(operand)
                        continue
                    }
                    guard let computed = BPFProgram.arithmetic(instruction, on: value) else { throw Unsupported() }
                    accumulator = .known(computed)
                case BPFProgram.ret:
                    guard instruction.code == BPFProgram.ret else { throw Unsupported() }
                    result = [(region, .ret(instruction.k))]
                    break reading
                case BPFProgram.jump where instruction.operation == BPFProgram.jumpAlways:
                    pc += Int(instruction.k)
                case BPFProgram.jump:
                    let (taken, notTaken) = (pc + Int(instruction.jt), pc + Int(instruction.jf))
                    switch accumulator {
                    case let .known(value):
                        guard let isTaken = BPFProgram.compare(instruction, value) else { throw Unsupported() }
                        pc = isTaken ? taken : notTaken
                    case .nr, .arch:
                        let isNr = accumulator == .nr
                        let (yes, no) = try Self.split(isNr ? region.nr : region.arch, by: instruction)
                        for (spans, target) in [(yes, taken), (no, notTaken)] {
                            for span in spans {
                                var piece = region
                                if isNr { piece.nr = span } else { piece.arch = span }
                                let value = span.point.map(Accumulator.known) ?? accumulator
                                result += try read(Visit(pc: target, accumulator: value, region: piece))
                            }
                        }
                        break reading
                    case let .operand(operand):
                        // Arguments are compared only once the syscall is
                        // known, so the region cannot split below here.
                        guard region.arch.point != nil, region.nr.point != nil else { throw Unsupported() }
                        let yes = try read(Visit(pc: taken, accumulator: accumulator, region: region))
                        let no = try read(Visit(pc: notTaken, accumulator: accumulator, region: region))
                        guard yes.count == 1, no.count == 1 else { throw Unsupported() }
                        // Offsets zeroed: the writer places the branches, and
                        // equal tests from different places then merge.
                        let jump = BPFProgram.Instruction(code: instruction.code, jt: 0, jf: 0, k: instruction.k)
                        result = [(region, .test(operand, jump: jump, taken: yes[0].1, notTaken: no[0].1))]
                        break reading
                    }
                default:
                    throw Unsupported()
                }
            }
            seen[visit] = result
            return result
        }

        private static func load(_ instruction: BPFProgram.Instruction, in region: Region) throws(Unsupported) -> Accumulator {
            guard instruction.code == BPFProgram.loadWordAbsolute else {
                let constant = BPFProgram.SeccompData(nr: 0, arch: 0)
                guard let value = BPFProgram.loaded(instruction, from: constant) else { throw Unsupported() }
                return .known(value)
            }
            switch instruction.k {
            case 0: return region.nr.point.map(Accumulator.known) ?? .nr
            case 4: return region.arch.point.map(Accumulator.known) ?? .arch
            default:
                guard instruction.k % 4 == 0, instruction.k < BPFProgram.dataSize else { throw Unsupported() }
                return .operand(Operand(offset: instruction.k, arithmetic: []))
            }
        }

        /// The parts of `span` where the jump is taken and where it is not.
        /// A bit test does not split a range into ranges.
        static func split(_ span: Span, by jump: BPFProgram.Instruction) throws(Unsupported) -> (taken: [Span], notTaken: [Span]) {
            func clamp(_ low: UInt32, _ high: UInt32) -> [Span] {
                let (low, high) = (max(low, span.low), min(high, span.high))
                return low <= high ? [Span(low: low, high: high)] : []
            }
            let k = jump.k
            switch jump.operation {
            case BPFProgram.jumpEqual:
                return (clamp(k, k), (k > 0 ? clamp(0, k - 1) : []) + (k < .max ? clamp(k + 1, .max) : []))
            case BPFProgram.jumpGreater:
                return (k < .max ? clamp(k + 1, .max) : [], clamp(0, k))
            case BPFProgram.jumpGreaterOrEqual:
                return (clamp(k, .max), k > 0 ? clamp(0, k - 1) : [])
            default:
                throw Unsupported()
            }
        }
    }

    // MARK: - Writing the shorter program

    /// Regions as code: a binary search over arch ranges, then, for each
    /// arch whose numbers differ, a binary search over number ranges.
    /// Outcomes that test arguments follow, each once, parents before
    /// children, and the return instructions come last, so every jump is
    /// forward as BPF requires.
    struct Writer {
        enum Op {
            case label(Int)
            case instruction(BPFProgram.Instruction)
            case branch(BPFProgram.Instruction, taken: Int, notTaken: Int)
            case jump(Int)
        }

        /// A range of numbers and what its syscalls get.
        struct Piece: Equatable {
            var nr: Span
            var outcome: Outcome
        }

        /// One range of arches' pieces, in order.
        typealias Numbers = [Piece]

        let arches: [(arch: Span, numbers: Numbers)]
        private var ops: [Op] = []
        private var labels = 0
        private var testLabels: [Outcome: Int] = [:]
        private var returnLabels: [UInt32: Int] = [:]

        /// The kernel's limit on a filter's length (BPF_MAXINSNS).
        static let maximumLength = 4096

        init(regions: [(Region, Outcome)]) {
            // Arch ranges that no region boundary cuts, each with the
            // number ranges of the regions over it; neighbours alike merge.
            let cuts = Set(regions.flatMap { [$0.0.arch.low] + ($0.0.arch.high < .max ? [$0.0.arch.high + 1] : []) }).sorted()
            var arches: [(arch: Span, numbers: Numbers)] = []
            for (index, low) in cuts.enumerated() {
                let arch = Span(low: low, high: index + 1 < cuts.count ? cuts[index + 1] - 1 : .max)
                var numbers: Numbers = []
                for (region, outcome) in regions.filter({ $0.0.arch.low <= low && low <= $0.0.arch.high }).sorted(by: { $0.0.nr.low < $1.0.nr.low }) {
                    if let last = numbers.last, last.outcome == outcome {
                        numbers[numbers.count - 1].nr.high = region.nr.high
                    } else {
                        numbers.append(Piece(nr: region.nr, outcome: outcome))
                    }
                }
                if let last = arches.last, last.numbers == numbers {
                    arches[arches.count - 1].arch.high = arch.high
                } else {
                    arches.append((arch, numbers))
                }
            }
            self.arches = arches
        }

        mutating func program() throws(Unsupported) -> BPFProgram {
            var sections: [(label: Int, numbers: Numbers)] = []
            var archTargets: [(low: UInt32, target: Int)] = []
            for arch in arches {
                if arch.numbers.count == 1 {
                    archTargets.append((arch.arch.low, label(for: arch.numbers[0].outcome)))
                } else {
                    let section = newLabel()
                    sections.append((section, arch.numbers))
                    archTargets.append((arch.arch.low, section))
                }
            }
            if archTargets.count > 1 { ops.append(.instruction(Self.load(offset: 4))) }
            let entry = search(archTargets[...])
            if archTargets.count == 1, entry != sections.first?.label { ops.append(.jump(entry)) }
            writeReturns()
            for section in sections {
                ops.append(.label(section.label))
                ops.append(.instruction(Self.load(offset: 0)))
                var ranges: [(low: UInt32, target: Int)] = []
                for piece in section.numbers { ranges.append((piece.nr.low, label(for: piece.outcome))) }
                _ = search(ranges[...])
                writeReturns()
            }
            for outcome in testsInOrder() {
                guard case let .test(operand, jump, taken, notTaken) = outcome else { continue }
                ops.append(.label(label(for: outcome)))
                ops.append(.instruction(Self.load(offset: operand.offset)))
                ops += operand.arithmetic.map(Op.instruction)
                ops.append(.branch(jump, taken: label(for: taken), notTaken: label(for: notTaken)))
            }
            writeReturns()
            return try assemble()
        }

        /// The return instructions the code so far jumps to, written after
        /// it: after each search, so that its leaves stay within a
        /// conditional jump's 255 instructions instead of needing a JA.
        private mutating func writeReturns() {
            for (value, label) in returnLabels.sorted(by: { $0.value < $1.value }) {
                ops.append(.label(label))
                ops.append(.instruction(.init(code: BPFProgram.ret, jt: 0, jf: 0, k: value)))
            }
            returnLabels = [:]
        }

        private static func load(offset: UInt32) -> BPFProgram.Instruction {
            .init(code: BPFProgram.loadWordAbsolute, jt: 0, jf: 0, k: offset)
        }

        private mutating func newLabel() -> Int {
            labels += 1
            return labels
        }

        private mutating func label(for outcome: Outcome) -> Int {
            if case let .ret(value) = outcome {
                if let known = returnLabels[value] { return known }
                returnLabels[value] = newLabel()
                return labels
            }
            if let known = testLabels[outcome] { return known }
            testLabels[outcome] = newLabel()
            return labels
        }

        /// A binary search over ranges that start at `low`, the loaded
        /// field in the accumulator: one JGE per split, the lower half
        /// written right after it. Returns the label to enter at.
        private mutating func search(_ ranges: ArraySlice<(low: UInt32, target: Int)>) -> Int {
            guard ranges.count > 1 else { return ranges.first!.target }
            let here = newLabel()
            ops.append(.label(here))
            let node = ops.count
            ops.append(.jump(0))
            let middle = ranges.startIndex + ranges.count / 2
            let lower = search(ranges[..<middle])
            let upper = search(ranges[middle...])
            let jump = BPFProgram.Instruction(code: BPFProgram.jump | BPFProgram.jumpGreaterOrEqual, jt: 0, jf: 0, k: ranges[middle].low)
            ops[node] = .branch(jump, taken: upper, notTaken: lower)
            return here
        }

        /// The argument tests, each before every test it leads to.
        private func testsInOrder() -> [Outcome] {
            var done: Set<Outcome> = []
            var postorder: [Outcome] = []
            func visit(_ outcome: Outcome) {
                guard case let .test(_, _, taken, notTaken) = outcome, done.insert(outcome).inserted else { return }
                visit(taken)
                visit(notTaken)
                postorder.append(outcome)
            }
            for arch in arches { arch.numbers.forEach { visit($0.outcome) } }
            return postorder.reversed()
        }

        /// Labels to offsets. A conditional jump reaches 255 instructions;
        /// a farther target goes through a JA placed right after it, and
        /// since that moves what follows, until nothing more is too far.
        private func assemble() throws(Unsupported) -> BPFProgram {
            var far: Set<[Int]> = []  // [op index, 0 taken / 1 not taken]
            while true {
                var position: [Int: Int] = [:]
                var at = 0
                for (index, op) in ops.enumerated() {
                    switch op {
                    case let .label(label): position[label] = at
                    case .instruction, .jump: at += 1
                    case .branch: at += 1 + (far.contains([index, 0]) ? 1 : 0) + (far.contains([index, 1]) ? 1 : 0)
                    }
                }
                guard at <= Self.maximumLength else { throw Unsupported() }
                var instructions: [BPFProgram.Instruction] = []
                var grew = false
                for (index, op) in ops.enumerated() {
                    switch op {
                    case .label: continue
                    case let .instruction(instruction):
                        instructions.append(instruction)
                    case let .jump(target):
                        instructions.append(.init(code: BPFProgram.jump, jt: 0, jf: 0, k: UInt32(position[target]! - instructions.count - 1)))
                    case .branch(var jump, let taken, let notTaken):
                        let next = instructions.count + 1
                        var trampolines: [Int] = []
                        for (which, target) in [taken, notTaken].enumerated() {
                            var offset = position[target]! - next
                            if far.contains([index, which]) {
                                offset = trampolines.count
                                trampolines.append(target)
                            } else if offset > Int(UInt8.max) {
                                far.insert([index, which])
                                grew = true
                            }
                            if which == 0 { jump.jt = UInt8(clamping: offset) } else { jump.jf = UInt8(clamping: offset) }
                        }
                        instructions.append(jump)
                        for target in trampolines {
                            instructions.append(.init(code: BPFProgram.jump, jt: 0, jf: 0, k: UInt32(position[target]! - instructions.count - 1)))
                        }
                    }
                }
                if !grew { return BPFProgram(instructions) }
            }
        }
    }

    // MARK: - Checking the result

    /// Both programs give the same value on every region's corners, with
    /// zero arguments and with each argument word set to each constant an
    /// argument test compares with, and its neighbours.
    static func agree(_ old: BPFProgram, _ new: BPFProgram, on regions: [(Region, Outcome)]) -> Bool {
        var words: Set<UInt32> = [0, 1, .max]
        var offsets: Set<UInt32> = []
        func collect(_ outcome: Outcome) {
            guard case let .test(operand, jump, taken, notTaken) = outcome else { return }
            offsets.insert(operand.offset)
            words.formUnion([jump.k, jump.k &- 1, jump.k &+ 1, ~jump.k])
            collect(taken)
            collect(notTaken)
        }
        regions.forEach { collect($0.1) }
        let checks = Array(offsets).flatMap { offset in words.map { (offset, $0) } }
        for (region, outcome) in regions {
            for arch in Set([region.arch.low, region.arch.high]) {
                for nr in Set([region.nr.low, region.nr.high]) {
                    var syscall = BPFProgram.SeccompData(nr: nr, arch: arch)
                    guard let expected = old.run(syscall), new.run(syscall) == expected else { return false }
                    guard case .test = outcome else { continue }
                    for (offset, word) in checks {
                        syscall = Self.syscall(nr: nr, arch: arch, settingWordAt: offset, to: word)
                        guard let expected = old.run(syscall), new.run(syscall) == expected else { return false }
                    }
                }
            }
        }
        return true
    }

    private static func syscall(nr: UInt32, arch: UInt32, settingWordAt offset: UInt32, to word: UInt32) -> BPFProgram.SeccompData {
        var syscall = BPFProgram.SeccompData(nr: nr, arch: arch)
        let high = offset % 8 == 4
        let value = UInt64(word) << (high ? 32 : 0)
        if offset < 16 {
            syscall.instructionPointer = value
        } else {
            syscall.args[Int(offset - 16) / 8] = value
        }
        return syscall
    }
}
