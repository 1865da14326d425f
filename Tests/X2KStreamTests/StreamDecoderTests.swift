import Testing
import X2KStream

/// The stream's rules, record by record: what the encoder writes the decoder reads back, and
/// a damaged byte, a gap, a step back, a truncation or a foreign format is an error that says
/// where.
@Suite struct StreamDecoderTests {
    static func header(resumedFrom: UInt64 = 0) -> StreamHeader {
        var header = StreamHeader(
            guest: "web01", disk: "/dev/vg0/web01", host: "xen1", fingerprint: "0123456789abcdef",
            filesystemBytes: 16384, blockSize: 4096, usedBytes: 8192, runs: 2, sourceFacts: "{}")
        header.resumedFrom = resumedFrom
        return header
    }

    /// header, data 4 KiB, free 4 KiB, checkpoint, data 4 KiB, must-be-zero 4 KiB, end.
    static func stream() -> [[UInt8]] {
        var encoder = StreamEncoder(header: header())
        return [
            encoder.headerRecord(), encoder.data([UInt8](repeating: 0xA5, count: 4096)),
            encoder.zero(4096, mustReadAsZero: false), encoder.checkpoint(),
            encoder.data([UInt8](repeating: 0x5A, count: 4096)), encoder.zero(4096, mustReadAsZero: true),
            encoder.end(),
        ]
    }

    /// What the sender writes (each data record's frame, then its payload as it is) is the
    /// stream `data(_:)` makes, byte for byte, and reads back the same.
    @Test func aFrameThenItsPayloadIsTheRecord() throws {
        let payloads = [[UInt8](repeating: 0xA5, count: 4096), (0..<4096).map { UInt8(truncatingIfNeeded: $0 * 7) }]
        var joined = StreamEncoder(header: Self.header())
        var apart = StreamEncoder(header: Self.header())
        // The header's JSON may order its keys differently: what follows it is compared.
        let headers = (joined.headerRecord(), apart.headerRecord())
        var one: [UInt8] = []
        var two: [UInt8] = []
        for payload in payloads {
            one += joined.data(payload)
            two += payload.withUnsafeBytes { apart.dataFrame(for: $0) } + payload
        }
        one += joined.zero(8192, mustReadAsZero: false) + joined.end()
        two += apart.zero(8192, mustReadAsZero: false) + apart.end()
        let same = one == two
        #expect(same, "the records differ")
        let (decoder, records) = try Self.decode(headers.1 + two, pieces: 5)
        #expect(records.filter { $0.kind == .data }.map(\.payload) == payloads)
        #expect(decoder.dataBytes == 8192)
    }

    static func decode(_ bytes: [UInt8], pieces: Int = 1) throws -> (StreamDecoder, [StreamRecord]) {
        var decoder = StreamDecoder()
        var records: [StreamRecord] = []
        let size = max(1, (bytes.count + pieces - 1) / pieces)
        var start = 0
        while start < bytes.count {
            let end = min(start + size, bytes.count)
            try decoder.feed(Array(bytes[start..<end])) { records.append($0) }
            start = end
        }
        try decoder.finish()
        return (decoder, records)
    }

    @Test(arguments: [1, 7, 1000])
    func readsBackWhatWasWrittenInAnyPieces(_ pieces: Int) throws {
        let (decoder, records) = try Self.decode(Self.stream().flatMap { $0 }, pieces: pieces)
        #expect(records.map(\.kind) == [.header, .data, .zero, .checkpoint, .data, .zero, .end])
        #expect(records.map(\.offset) == [0, 0, 4096, 8192, 8192, 12288, 16384])
        #expect(records[5].flags == .mustReadAsZero)
        #expect(decoder.header == Self.header())
        #expect(decoder.dataBytes == 8192 && decoder.covered == 16384 && decoder.ended)
    }

    /// The frame, byte for byte: a change to the format is a change to this test.
    @Test func aCheckpointRecordsBytesAreFixed() {
        let record = StreamRecord(kind: .checkpoint, sequence: 3, offset: 0x1_0000, length: 0x2000)
        let frame: [UInt8] = [
            0x58, 0x32, 0x4B, 0x52, 4, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0,
            0, 0, 1, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0,
        ]
        let crc = Checksum.crc32(frame)
        let expected: [UInt8] = frame + [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: crc >> $0) }
        #expect(record.encoded() == expected)
        // zlib's CRC-32 of "123456789", the standard check value.
        #expect(Checksum.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func aDamagedByteAnywhereIsABadChecksum() throws {
        let records = Self.stream()
        let dataStart = records[0].count
        for offset in [dataStart + 20, dataStart + 36 + 100, dataStart + 36 + 4095] {
            var bytes = records.flatMap { $0 }
            bytes[offset] ^= 0x01
            #expect {
                try Self.decode(bytes)
            } throws: { error in
                guard case .corrupt(let record, let at, let what) = error as? StreamError else { return false }
                return record == 1 && at == UInt64(dataStart) && what.contains("bad checksum")
            }
        }
    }

    @Test func aMissingRecordIsAGapOrAWrongNumber() throws {
        var records = Self.stream()
        records.remove(at: 2)  // the free range
        #expect {
            try Self.decode(records.flatMap { $0 })
        } throws: { error in
            guard case .corrupt(_, _, let what) = error as? StreamError else { return false }
            return what.contains("is numbered 3")
        }
        // A sender that skips a range (its numbering intact) leaves a gap.
        var encoder = StreamEncoder(header: Self.header())
        var bytes = encoder.headerRecord() + encoder.data([UInt8](repeating: 1, count: 4096))
        var skipping = StreamRecord(kind: .data, sequence: 2, offset: 8192, length: 4096)
        skipping.payload = [UInt8](repeating: 2, count: 4096)
        bytes += skipping.encoded()
        #expect(throws: StreamError.gap(record: 2, expected: 4096, found: 8192)) { try Self.decode(bytes) }
        var back = StreamRecord(kind: .data, sequence: 2, offset: 0, length: 4096)
        back.payload = [UInt8](repeating: 2, count: 4096)
        var again = StreamEncoder(header: Self.header())
        let stepBack = again.headerRecord() + again.data([UInt8](repeating: 1, count: 4096)) + back.encoded()
        #expect(throws: StreamError.backwards(record: 2, expected: 4096, found: 0)) { try Self.decode(stepBack) }
    }

    @Test func aStreamCutAnywhereBeforeItsEndIsTruncated() throws {
        let bytes = Self.stream().flatMap { $0 }
        for cut in [0, 10, bytes.count / 2, bytes.count - 1] {
            #expect {
                try Self.decode(Array(bytes.prefix(cut)))
            } throws: { error in
                guard case .truncated(let streamBytes, _) = error as? StreamError else { return false }
                return streamBytes == UInt64(cut)
            }
        }
    }

    @Test func anEndThatDoesNotCoverTheFilesystemIsRefused() throws {
        var encoder = StreamEncoder(header: Self.header())
        let bytes = encoder.headerRecord() + encoder.data([UInt8](repeating: 1, count: 4096)) + encoder.end()
        #expect {
            try Self.decode(bytes)
        } throws: { error in
            guard case .inconsistent(let what) = error as? StreamError else { return false }
            return what.contains("the filesystem has 16384 bytes")
        }
    }

    @Test func aResumedStreamStartsAtItsCheckpoint() throws {
        var encoder = StreamEncoder(header: Self.header(resumedFrom: 8192))
        let bytes = encoder.headerRecord() + encoder.zero(8192, mustReadAsZero: false) + encoder.end()
        let (decoder, records) = try Self.decode(bytes)
        #expect(records[1].offset == 8192 && decoder.ended)
        // A resumed stream whose records start elsewhere has a gap or steps back.
        let wrong = StreamRecord(kind: .zero, sequence: 1, offset: 0, length: 16384)
        var other = StreamEncoder(header: Self.header(resumedFrom: 8192))
        #expect(throws: StreamError.backwards(record: 1, expected: 8192, found: 0)) {
            try Self.decode(other.headerRecord() + wrong.encoded())
        }
    }

    @Test func aFormatFromAnotherVersionAndTheSendersFailureAreSaid() throws {
        var header = Self.header()
        header.format = 99
        var encoder = StreamEncoder(header: header)
        #expect {
            try Self.decode(encoder.headerRecord())
        } throws: { error in
            (error as? StreamError)?.description.contains("install the same xen2kvm on both hosts") == true
        }
        var good = StreamEncoder(header: Self.header())
        let failed = good.headerRecord() + good.failure("reading the source at byte 4096: I/O error")
        #expect(throws: StreamError.senderFailed("reading the source at byte 4096: I/O error")) {
            try Self.decode(failed)
        }
    }
}
