import Testing
@testable import Pkgar

/// The official BLAKE3 test vectors' input: byte i is i mod 251.
private func vectorInput(_ length: Int) -> [UInt8] { (0..<length).map { UInt8($0 % 251) } }

private func bytes(_ hex: String) -> [UInt8] { Hex.decode(hex) ?? [] }

/// BLAKE3's official test vectors (BLAKE3-team test_vectors.json) and RFC 8032's Ed25519 vectors.
@Suite struct VectorTests {
    /// (input length, first 32 bytes of the hash) from the official vector file.
    static let hashVectors: [(Int, String)] = [
        (0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"),
        (1, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213"),
        (2, "7b7015bb92cf0b318037702a6cdd81dee41224f734684c2c122cd6359cb1ee63"),
        (3, "e1be4d7a8ab5560aa4199eea339849ba8e293d55ca0a81006726d184519e647f"),
        (4, "f30f5ab28fe047904037f77b6da4fea1e27241c5d132638d8bedce9d40494f32"),
        (5, "b40b44dfd97e7a84a996a91af8b85188c66c126940ba7aad2e7ae6b385402aa2"),
        (6, "06c4e8ffb6872fad96f9aaca5eee1553eb62aed0ad7198cef42e87f6a616c844"),
        (7, "3f8770f387faad08faa9d8414e9f449ac68e6ff0417f673f602a646a891419fe"),
        (8, "2351207d04fc16ade43ccab08600939c7c1fa70a5c0aaca76063d04c3228eaeb"),
        (63, "e9bc37a594daad83be9470df7f7b3798297c3d834ce80ba85d6e207627b7db7b"),
        (64, "4eed7141ea4a5cd4b788606bd23f46e212af9cacebacdc7d1f4c6dc7f2511b98"),
        (65, "de1e5fa0be70df6d2be8fffd0e99ceaa8eb6e8c93a63f2d8d1c30ecb6b263dee"),
        (127, "d81293fda863f008c09e92fc382a81f5a0b4a1251cba1634016a0f86a6bd640d"),
        (128, "f17e570564b26578c33bb7f44643f539624b05df1a76c81f30acd548c44b45ef"),
        (129, "683aaae9f3c5ba37eaaf072aed0f9e30bac0865137bae68b1fde4ca2aebdcb12"),
        (1023, "10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11"),
        (1024, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7"),
        (2048, "e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a"),
        (2049, "5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b6879522563030"),
        (3072, "b98cb0ff3623be03326b373de6b9095218513e64f1ee2edd2525c7ad1e5cffd2"),
        (3073, "7124b49501012f81cc7f11ca069ec9226cecb8a2c850cfe644e327d22d3e1cd3"),
        (4096, "015094013f57a5277b59d8475c0501042c0b642e531b0a1c8f58d2163229e969"),
        (4097, "9b4052b38f1c5fc8b1f9ff7ac7b27cd242487b3d890d15c96a1c25b8aa0fb995"),
        (5120, "9cadc15fed8b5d854562b26a9536d9707cadeda9b143978f319ab34230535833"),
        (5121, "628bd2cb2004694adaab7bbd778a25df25c47b9d4155a55f8fbd79f2fe154cff"),
        (6144, "3e2e5b74e048f3add6d21faab3f83aa44d3b2278afb83b80b3c35164ebeca205"),
        (6145, "f1323a8631446cc50536a9f705ee5cb619424d46887f3c376c695b70e0f0507f"),
        (7168, "61da957ec2499a95d6b8023e2b0e604ec7f6b50e80a9678b89d2628e99ada77a"),
        (7169, "a003fc7a51754a9b3c7fae0367ab3d782dccf28855a03d435f8cfe74605e7817"),
        (8192, "aae792484c8efe4f19e2ca7d371d8c467ffb10748d8a5a1ae579948f718a2a63"),
        (8193, "bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3b"),
        (16384, "f875d6646de28985646f34ee13be9a576fd515f76b5b0a26bb324735041ddde4"),
        (31744, "62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47"),
        (102400, "bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085"),
    ]

    @Test func blake3OfficialHashVectors() {
        for (length, expected) in Self.hashVectors {
            #expect(Hex.encode(Blake3.hash(vectorInput(length))) == expected, "input length \(length)")
        }
    }

    @Test func blake3ExtendedOutputAndKeyedMode() throws {
        let input = vectorInput(1023)
        var hasher = Blake3()
        hasher.update(input)
        #expect(Hex.encode(hasher.finalize(count: 131)) ==
            "10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11a182d27a591b05592b15607500e1e8dd56bc6c7fc063715b7a1d737df5bad3339c56778957d870eb9717b57ea3d9fb68d1b55127bba6a906a4a24bbd5acb2d123a37b28f9e9a81bbaae360d58f85e5fc9d75f7c370a0cc09b6522d9c8d822f2f28f485")
        var keyed = try #require(Blake3(key: Array("whats the Elvish word for friend".utf8)))
        keyed.update(input)
        #expect(Hex.encode(keyed.finalize()) == "c951ecdf03288d0fcc96ee3413563d8a6d3589547f2c2fb36d9786470f1b9d6e")
        #expect(Blake3(key: [1, 2, 3]) == nil)
    }

    @Test func blake3IncrementalUpdatesMatchOneShot() {
        let input = vectorInput(31744)
        for piece in [1, 63, 64, 65, 1000, 1024, 4097] {
            var hasher = Blake3()
            var start = 0
            while start < input.count {
                let end = min(start + piece, input.count)
                hasher.update(Array(input[start..<end]))
                start = end
            }
            #expect(Hex.encode(hasher.finalize()) == "62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47", "pieces of \(piece)")
        }
    }

    /// RFC 8032 §7.1 tests 1–3: (secret seed, public key, message, signature).
    static let ed25519Vectors: [(String, String, String, String)] = [
        ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
         "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
        ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
         "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
         "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
    ]

    @Test func ed25519RFC8032Vectors() throws {
        for (seed, publicKey, message, signature) in Self.ed25519Vectors {
            let key = try #require(SecretKey(seed: bytes(seed)))
            #expect(key.publicKey.hex == publicKey)
            #expect(Hex.encode(key.sign(bytes(message))) == signature)
            #expect(Ed25519.verify(signature: bytes(signature), message: bytes(message), publicKey: bytes(publicKey)))
            var altered = bytes(message) + [0]
            altered[0] ^= 1
            #expect(!Ed25519.verify(signature: bytes(signature), message: altered, publicKey: bytes(publicKey)))
        }
    }

    @Test func lzma2RoundTripAndCorruption() throws {
        let input = vectorInput(200_000)
        let stream = try LZMA2.compress(input)
        #expect(stream.count < input.count / 10)
        #expect(try LZMA2.decompress(stream, expectedLength: UInt64(input.count)) == input)
        #expect(throws: PkgarError.self) { try LZMA2.decompress(stream, expectedLength: UInt64(input.count - 1)) }
        var broken = stream
        broken[broken.count / 2] ^= 0x55
        #expect(throws: PkgarError.self) { _ = try LZMA2.decompress(broken, expectedLength: UInt64(input.count)) }
    }
}
