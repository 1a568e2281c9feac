// The shell prelude every build script runs after (cookbook.md §6.3): the helper functions and
// variables of the templates, ours for Swift, and the post-processing of the stage.

enum Prelude {
    /// Runs before the recipe's (or template's) script, inside the sandbox.
    static let build = #"""
    set -e
    export PATH="$COOKBOOK_TOOLCHAIN/bin:$COOKBOOK_TOOLCHAIN/usr/bin:$PATH"
    export CPPFLAGS="${CPPFLAGS:-} -I$COOKBOOK_SYSROOT/include -I$COOKBOOK_SYSROOT/usr/include"
    export LDFLAGS="${LDFLAGS:-} -L$COOKBOOK_SYSROOT/lib -L$COOKBOOK_SYSROOT/usr/lib"
    export CARGO_TARGET_DIR="$COOKBOOK_BUILD/target"
    # Shared libraries are not built for Redox targets here: these switches are accepted and ignored.
    DYNAMIC_INIT() { :; }
    DYNAMIC_STATIC_INIT() { :; }

    COOKBOOK_CONFIGURE="$COOKBOOK_SOURCE/configure"
    COOKBOOK_CONFIGURE_FLAGS=(--prefix=/usr)
    COOKBOOK_MAKE=make
    COOKBOOK_MAKE_FLAGS=()
    cookbook_configure() {
        "$COOKBOOK_CONFIGURE" "${COOKBOOK_CONFIGURE_FLAGS[@]}" "$@"
        "$COOKBOOK_MAKE" -j "$COOKBOOK_MAKE_JOBS" "${COOKBOOK_MAKE_FLAGS[@]}"
        "$COOKBOOK_MAKE" install DESTDIR="$COOKBOOK_STAGE"
    }

    COOKBOOK_CMAKE=cmake
    COOKBOOK_NINJA=ninja
    COOKBOOK_CMAKE_FLAGS=(-DBUILD_SHARED_LIBS=False -DENABLE_SHARED=False -DENABLE_STATIC=True)
    cookbook_cmake() {
        "$COOKBOOK_CMAKE" "$COOKBOOK_SOURCE" -GNinja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
            -DCMAKE_INSTALL_INCLUDEDIR=include -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_INSTALL_SBINDIR=bin \
            "${COOKBOOK_CMAKE_FLAGS[@]}" "$@"
        "$COOKBOOK_NINJA" -j "$COOKBOOK_MAKE_JOBS"
        DESTDIR="$COOKBOOK_STAGE" "$COOKBOOK_NINJA" install
    }

    COOKBOOK_MESON=meson
    COOKBOOK_MESON_FLAGS=(--buildtype release --wrap-mode nofallback -Ddefault_library=static -Dprefix=/usr)
    cookbook_meson() {
        "$COOKBOOK_MESON" setup "$COOKBOOK_BUILD/meson" "$COOKBOOK_SOURCE" "${COOKBOOK_MESON_FLAGS[@]}" "$@"
        ninja -C "$COOKBOOK_BUILD/meson" -j "$COOKBOOK_MAKE_JOBS"
        DESTDIR="$COOKBOOK_STAGE" ninja -C "$COOKBOOK_BUILD/meson" install
    }

    COOKBOOK_PYTHON=python3
    COOKBOOK_PYTHON_PIP_FLAGS=(--ignore-installed --no-index --no-build-isolation)
    cookbook_python() {
        "$COOKBOOK_PYTHON" -m pip install --prefix="$COOKBOOK_STAGE/usr" "${COOKBOOK_PYTHON_PIP_FLAGS[@]}" \
            "$COOKBOOK_SOURCE${COOKBOOK_PYTHON_PYPROJECT_PATH:+/$COOKBOOK_PYTHON_PYPROJECT_PATH}"
    }

    COOKBOOK_CARGO=cargo
    COOKBOOK_CARGO_FLAGS=(--locked)
    COOKBOOK_CARGO_PATH=.
    cookbook_cargo() {
        "$COOKBOOK_CARGO" install --path "$COOKBOOK_SOURCE/$COOKBOOK_CARGO_PATH" --root "$COOKBOOK_STAGE/usr" \
            --offline --no-track -j "$COOKBOOK_MAKE_JOBS" "${COOKBOOK_CARGO_FLAGS[@]}" "$@"
    }
    cookbook_cargo_packages() {
        for package in "$@"; do
            "$COOKBOOK_CARGO" build --manifest-path "$COOKBOOK_SOURCE/$COOKBOOK_CARGO_PATH/Cargo.toml" --release \
                --offline --package "$package" -j "$COOKBOOK_MAKE_JOBS" "${COOKBOOK_CARGO_FLAGS[@]}"
            install -D -m 0755 "$CARGO_TARGET_DIR/release/$package" "$COOKBOOK_STAGE/usr/bin/${package//_/-}"
        done
    }
    cookbook_cargo_examples() {
        for example in "$@"; do
            "$COOKBOOK_CARGO" build --manifest-path "$COOKBOOK_SOURCE/$COOKBOOK_CARGO_PATH/Cargo.toml" --release \
                --offline --example "$example" -j "$COOKBOOK_MAKE_JOBS" "${COOKBOOK_CARGO_FLAGS[@]}"
            install -D -m 0755 "$CARGO_TARGET_DIR/release/examples/$example" "$COOKBOOK_STAGE/usr/bin/${COOKBOOK_NAME}_$example"
        done
    }

    # The swift template (ours; see README "Cookbook").
    COOKBOOK_SWIFT_PATH=.
    COOKBOOK_SWIFT_FLAGS=()
    COOKBOOK_SWIFT_LINK_FLAGS=()
    COOKBOOK_EMBEDDED_SWIFT_FLAGS=(
        -target x86_64-unknown-none-elf -enable-experimental-feature Embedded
        -enable-experimental-feature Extern -swift-version 6
        -wmo -parse-as-library -Osize -Xcc -mno-red-zone -Xfrontend -disable-stack-protector
        -Xfrontend -function-sections
    )
    cookbook_swift_sources() {
        find "$COOKBOOK_SOURCE/$COOKBOOK_SWIFT_PATH" -name '*.swift' | LC_ALL=C sort
    }
    cookbook_swift_embedded() {
        local out="$COOKBOOK_STAGE/$1" object="$COOKBOOK_BUILD/$COOKBOOK_SWIFT_MODULE.o" sources
        mapfile -t sources < <(cookbook_swift_sources)
        swiftc "${COOKBOOK_EMBEDDED_SWIFT_FLAGS[@]}" -module-name "$COOKBOOK_SWIFT_MODULE" \
            -I "$COOKBOOK_SYSROOT/usr/lib/swift" "${COOKBOOK_SWIFT_FLAGS[@]}" -c -o "$object" "${sources[@]}"
        mkdir -p "$(dirname "$out")"
        if (( ${#COOKBOOK_SWIFT_LINK_FLAGS[@]} )); then
            ld.lld "${COOKBOOK_SWIFT_LINK_FLAGS[@]}" -o "$out" "$object"
        else
            cp "$object" "$out"
        fi
    }
    cookbook_swift_host() {
        local out="$COOKBOOK_STAGE/$1" sources
        mapfile -t sources < <(cookbook_swift_sources)
        mkdir -p "$(dirname "$out")"
        swiftc -O -module-name "$COOKBOOK_SWIFT_MODULE" "${COOKBOOK_SWIFT_FLAGS[@]}" -o "$out" "${sources[@]}"
    }

    cd "$COOKBOOK_BUILD"
    """#

    /// Runs after the script: cargo's bookkeeping files are removed from the stage.
    static let post = #"""

    rm -f "$COOKBOOK_STAGE/.crates.toml" "$COOKBOOK_STAGE/.crates2.json" \
        "$COOKBOOK_STAGE/usr/.crates.toml" "$COOKBOOK_STAGE/usr/.crates2.json"
    """#
}
