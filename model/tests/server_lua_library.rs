//! The Lua library Redis 7.0 ships (bit, cjson, redis.*), status and error lines, shebangs
//! and the conversion of mixed tables. Every expected reply was copied from a real Redis
//! 7.0.15 (`redis-cli --no-raw eval "…" 0`), the version fields of other profiles from the
//! 6.0.16, 8.0.2 and Valkey 8.1.1 images; SHA1s are computed from the script text.

mod common;
use common::*;
use model::scripting::sha1_hex;
use model::Profile;

#[test]
fn bit_operations() {
    let mut r = Redis::new();
    expect_eval(&mut r, "return bit.band(0xff, 0x0f, 0x3)", int(3));
    expect_eval(
        &mut r,
        "return {bit.tobit(0xffffffff), bit.tohex(255), bit.tohex(-1), bit.tohex(255, -4), \
         bit.tohex(255,2), bit.bnot(0), bit.lshift(1, 31), bit.rshift(-1, 28), \
         bit.arshift(-256, 4), bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), \
         bit.bswap(0x12345678), bit.bxor(5,3), bit.bor(1,2,4)}",
        arr(vec![
            int(-1),
            bulk("000000ff"),
            bulk("ffffffff"),
            bulk("00FF"),
            bulk("ff"),
            int(-1),
            int(-2147483648),
            int(15),
            int(-16),
            int(878082066),
            int(2014458966),
            int(2018915346),
            int(6),
            int(7),
        ]),
    );
    for (script, want) in [
        ("return bit.tobit(2^40+5)", int(5)),
        ("return bit.tobit(1.5)", int(2)),
        ("return bit.tobit(2.5)", int(2)),
        ("return bit.tobit(-1.5)", int(-2)),
        ("return bit.band('12')", int(12)),
        ("return bit.tohex(1, 9)", bulk("00000001")),
        ("return bit.tohex(1, 0)", bulk("")),
        ("return bit.tohex(-255, -9)", bulk("FFFFFF01")),
        ("return bit.lshift(1, 33)", int(2)),
        ("return bit.tobit(2^53)", int(0)),
    ] {
        expect_eval(&mut r, script, want);
    }
    for (script, msg) in [
        (
            "return bit.band()",
            "bad argument #1 to 'band' (number expected, got no value)",
        ),
        (
            "return bit.band('x')",
            "bad argument #1 to 'band' (number expected, got string)",
        ),
    ] {
        expect_eval(
            &mut r,
            script,
            located(script, &format!("ERR user_script:1: {msg}"), 1),
        );
    }
}

#[test]
fn redis_library_functions() {
    let mut r = Redis::new();
    for (script, want) in [
        ("return tostring(redis.REDIS_VERSION)", bulk("7.0.15")),
        ("return redis.REDIS_VERSION_NUM", int(458767)),
        ("return redis.replicate_commands()", int(1)),
        ("return redis.replicate_commands(1)", int(1)),
        ("return redis.setresp(2)", nil()),
        ("return redis.setresp('2')", nil()),
        ("return redis.REPL_ALL", int(3)),
        (
            "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}",
            arr(vec![int(0), int(1), int(2), int(2), int(3)]),
        ),
        ("redis.set_repl(redis.REPL_ALL) return 1", int(1)),
        (
            "return redis.sha1hex('')",
            bulk("da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ),
        (
            "return redis.sha1hex(1)",
            bulk("356a192b7913b04c54574d18c28d46e6395428ab"),
        ),
        (
            "return redis.sha1hex({})",
            bulk("da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ),
        ("redis.log(redis.LOG_WARNING, 'x') return 1", int(1)),
        ("redis.log(1, {}) return 1", int(1)),
        ("redis.log(1, 'a', 2, 'b') return 1", int(1)),
        ("return redis.breakpoint()", nil()),
        ("return redis.debug('x')", nil()),
        (
            "return {pcall(redis.sha1hex)}",
            arr(vec![nil(), bulk("ERR wrong number of arguments")]),
        ),
    ] {
        expect_eval(&mut r, script, want);
    }
    // Raised as error tables: no position in the message, the location after it.
    for (script, msg) in [
        (
            "return redis.setresp(4)",
            "ERR RESP version must be 2 or 3.",
        ),
        (
            "return redis.setresp()",
            "ERR redis.setresp() requires one argument.",
        ),
        (
            "return redis.setresp(2, 3)",
            "ERR redis.setresp() requires one argument.",
        ),
        (
            "redis.set_repl(99) return 1",
            "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
        ),
        (
            "redis.set_repl() return 1",
            "ERR redis.set_repl() requires two arguments.",
        ),
        ("return redis.sha1hex()", "ERR wrong number of arguments"),
        (
            "return redis.sha1hex('a','b')",
            "ERR wrong number of arguments",
        ),
        (
            "redis.log() return 1",
            "ERR redis.log() requires two arguments or more.",
        ),
        (
            "redis.log(1) return 1",
            "ERR redis.log() requires two arguments or more.",
        ),
        ("redis.log(99, 'x') return 1", "ERR Invalid debug level."),
        (
            "redis.log('a', 'x') return 1",
            "ERR First argument must be a number (log level).",
        ),
    ] {
        expect_eval(&mut r, script, located(script, msg, 1));
    }
}

#[test]
fn status_and_error_reply_check_their_argument() {
    let mut r = Redis::new();
    // Returned (not raised): no location suffix.
    for script in [
        "return redis.status_reply()",
        "return redis.status_reply(1)",
        "return redis.status_reply({})",
        "return redis.status_reply('a','b')",
        "return redis.error_reply()",
        "return redis.error_reply(5)",
        "return redis.error_reply({})",
    ] {
        expect_eval(&mut r, script, err("ERR wrong number or type of arguments"));
    }
    expect_eval(&mut r, "return redis.error_reply('')", err("ERR "));
    expect_eval(&mut r, "return redis.error_reply('-')", err("ERR "));
    expect_eval(
        &mut r,
        "return redis.error_reply('oops').err",
        bulk("ERR oops"),
    );
    expect_eval(&mut r, "return redis.error_reply('-X y').err", bulk("X y"));
    expect_eval(&mut r, "return redis.status_reply('A').ok", bulk("A"));
}

#[test]
fn newlines_in_status_and_error_lines_become_spaces() {
    let mut r = Redis::new();
    expect_eval(
        &mut r,
        "return redis.status_reply('a\\r\\nb')",
        status("a  b"),
    );
    expect_eval(
        &mut r,
        "return redis.error_reply('a\\r\\nb c')",
        err("a  b c"),
    );
    expect_eval(&mut r, "return redis.status_reply('a\\nb')", status("a b"));
    expect_eval(&mut r, "return {ok='x\\ny'}", status("x y"));
    expect_eval(&mut r, "return {err='x\\r\\ny'}", err("x  y"));
    let script = "error('a\\nb')";
    expect_eval(&mut r, script, located(script, "ERR user_script:1: a b", 1));
    // A bulk string keeps its newline.
    expect_eval(&mut r, "return 'a\\nb'", bulk("a\nb"));
}

#[test]
fn error_values_of_every_type() {
    let mut r = Redis::new();
    for (script, msg) in [
        ("error({err=5})", "5"),
        ("error({err='MY err'})", "MY err"),
        ("error('x', 0)", "ERR x"),
        ("error()", "ERR nil"),
        ("error(nil)", "ERR nil"),
        ("error(5)", "ERR user_script:1: 5"),
        ("error(true)", "ERR true"),
    ] {
        expect_eval(&mut r, script, located(script, msg, 1));
    }
    expect_eval(
        &mut r,
        "local ok, e = pcall(error, {}) return type(e)",
        bulk("table"),
    );
}

#[test]
fn the_version_fields_follow_the_profile() {
    let cases = [
        (Profile::Redis60, arr(vec![])),
        (Profile::Redis70, arr(vec![bulk("7.0.15"), int(0x07000f)])),
        (Profile::Redis80, arr(vec![bulk("8.0.2"), int(524290)])),
        (Profile::Valkey81, arr(vec![bulk("7.2.4"), int(459268)])),
    ];
    for (profile, want) in cases {
        let mut r = on(profile);
        expect_eval(
            &mut r,
            "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}",
            want,
        );
    }
    let mut v = on(Profile::Valkey81);
    expect_eval(
        &mut v,
        "return {redis.VALKEY_VERSION, redis.VALKEY_VERSION_NUM, redis.SERVER_NAME, tostring(server == redis)}",
        arr(vec![bulk("8.1.1"), int(524545), bulk("valkey"), bulk("true")]),
    );
    let script = "redis.log() return 1";
    expect_eval(
        &mut v,
        script,
        located(
            script,
            "ERR server.log() requires two arguments or more.",
            1,
        ),
    );
    let script = "redis.log(99, 'x') return 1";
    expect_eval(&mut v, script, located(script, "ERR Invalid log level.", 1));
    let mut r8 = on(Profile::Redis80);
    let script = "redis.set_repl() return 1";
    expect_eval(
        &mut r8,
        script,
        located(script, "ERR redis.set_repl() requires one argument.", 1),
    );
    let mut r6 = on(Profile::Redis60);
    let sha = sha1_hex("redis.log(99, 'x') return 1");
    expect_eval(
        &mut r6,
        "redis.log(99, 'x') return 1",
        err(&format!(
            "ERR Error running script (call to f_{sha}): @user_script:1: Invalid debug level."
        )),
    );
    // 6.0's error_reply keeps the text as it is (7.0 strips a '-' and may prefix ERR).
    for (script, want) in [
        ("return redis.error_reply('oops')", "oops"),
        ("return redis.error_reply('-X y')", "-X y"),
        ("return redis.error_reply('')", ""),
    ] {
        expect_eval(&mut r6, script, err(want));
    }
    expect_eval(
        &mut r6,
        "return {pcall(redis.sha1hex)}",
        arr(vec![nil(), bulk("wrong number of arguments")]),
    );
    expect_eval(
        &mut r6,
        "return redis.status_reply(1)",
        err("@user_script: 1: wrong number or type of arguments"),
    );
}

#[test]
fn shebang_scripts() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "k", "v"], ok());
    let ev = |r: &mut Redis, s: &str| r.call(A, &["EVAL", s, "1", "k"]);
    assert_eq!(ev(&mut r, "#!lua\nreturn 1"), int(1));
    let s = "#!lua flags=no-writes\nreturn redis.call('set', KEYS[1], 'x')";
    let refused = "ERR Write commands are not allowed from read-only scripts.";
    assert_eq!(ev(&mut r, s), located(s, refused, 2));
    for s in [
        "#!lua flags=no-writes\nreturn redis.call('incr', KEYS[1])",
        "#!lua flags=no-writes\nreturn redis.call('del', KEYS[1])",
        "#!lua flags=no-writes\nreturn redis.call('lpop', KEYS[1])",
    ] {
        assert_eq!(ev(&mut r, s), located(s, refused, 2), "{s}");
    }
    assert_eq!(
        ev(
            &mut r,
            "#!lua flags=no-writes\nreturn redis.pcall('set', KEYS[1], 'x')"
        ),
        err(refused)
    );
    assert_eq!(
        ev(
            &mut r,
            "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])"
        ),
        bulk("v")
    );
    for (s, want) in [
        ("#!lua flags=no-writes,allow-oom\nreturn 2", int(2)),
        ("#!lua flags=\nreturn 3", int(3)),
        ("#!lua flags=no-writes flags=no-cluster\nreturn 1", int(1)),
        (
            "#!lua flags=allow-cross-slot-keys,no-cluster,allow-stale\nreturn 4",
            int(4),
        ),
        ("#!lua  flags=no-writes\nreturn 5", int(5)),
        ("#!lua\nreturn redis.call('set', KEYS[1], 'y')", ok()),
        (
            "#!lua flags=bogus\nreturn 1",
            err("ERR Unexpected flag in script shebang: bogus"),
        ),
        (
            "#!notlua\nreturn 1",
            err("ERR Unexpected engine in script shebang: #!notlua"),
        ),
        (
            "#! lua\nreturn 1",
            err("ERR Unexpected engine in script shebang: #!"),
        ),
        (
            "#!LUA\nreturn 1",
            err("ERR Unexpected engine in script shebang: #!LUA"),
        ),
        (
            "#!lua bogus=1\nreturn 1",
            err("ERR Unknown lua shebang option: bogus=1"),
        ),
        (
            "#!lua name=foo\nreturn 1",
            err("ERR Unknown lua shebang option: name=foo"),
        ),
        ("#!lua", err("ERR Invalid script shebang")),
    ] {
        assert_eq!(ev(&mut r, s), want, "{s:?}");
    }
    let s = "#!lua\nreturn x";
    assert_eq!(
        ev(&mut r, s),
        located(
            s,
            "ERR user_script:2: Script attempted to access nonexistent global variable 'x'",
            2
        )
    );
    let s = "#!lua\nerror('x')";
    assert_eq!(ev(&mut r, s), located(s, "ERR user_script:2: x", 2));
    let s = "#!lua flags=no-writes\nreturn redis.call('eval', 'return 1', 0)";
    assert_eq!(
        ev(&mut r, s),
        located(s, "ERR This Redis command is not allowed from script", 2)
    );
    // A refused shebang does not enter the script cache.
    let bad = "#!lua flags=bogus\nreturn 1";
    assert_eq!(
        r.call(A, &["SCRIPT", "EXISTS", &sha1_hex(bad)]),
        arr(vec![int(0)])
    );
}

#[test]
fn tables_with_non_array_keys_convert_as_redis_does() {
    let mut r = Redis::new();
    for (script, want) in [
        ("return {1,2,a=3}", arr(vec![int(1), int(2)])),
        ("return {a=1}", arr(vec![])),
        ("return {[1]=1,[3]=3}", arr(vec![int(1)])),
        ("return {[2]=2}", arr(vec![])),
        ("return {[1.5]=1, 7}", arr(vec![int(7)])),
        ("local t = {1,2,3} t[2]=nil return t", arr(vec![int(1)])),
        (
            "return {1, {ok='x'}, {err='e'}}",
            arr(vec![int(1), status("x"), err("e")]),
        ),
        (
            "return {1, cjson.null, 3}",
            arr(vec![int(1), nil(), int(3)]),
        ),
        ("return {[0]=0, 1}", arr(vec![int(1)])),
        ("return {1,2,[4]=4}", arr(vec![int(1), int(2)])),
        (
            "local t={} t[1]=1 t[2]=2 t[3]=3 t[2]=nil return t",
            arr(vec![int(1)]),
        ),
        ("return {1, nil, 3, n=3}", arr(vec![int(1)])),
        ("return {ok='a', 1, 2}", status("a")),
        ("return {err='a', 1, 2}", err("a")),
        ("return {[1]='x', ok=1}", arr(vec![bulk("x")])),
        ("return {true, false, 1}", arr(vec![int(1), nil(), int(1)])),
        (
            "return {1.9, -1.9, 'x'}",
            arr(vec![int(1), int(-1), bulk("x")]),
        ),
        (
            "local t = setmetatable({}, {__index=function(t,k) return k end}) return t",
            arr(vec![]),
        ),
        ("return coroutine.create(function() end)", nil()),
        ("return {{}}", arr(vec![arr(vec![])])),
        ("return function() end", nil()),
        ("return {function() end, 1}", arr(vec![nil(), int(1)])),
    ] {
        expect_eval(&mut r, script, want);
    }
}

#[test]
fn one_thread_compiles_a_shebang_script_per_profile() {
    // Found by the conformance generator: 7.0 compiled the body with its shebang line blanked
    // and 6.0, on the same thread, reused it instead of failing on the `#`.
    let s = "#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1])";
    let mut r7 = Redis::new();
    assert_eq!(r7.call(A, &["EVAL", s, "1", "k"]), nil());
    let mut r6 = on(Profile::Redis60);
    assert_eq!(
        r6.call(A, &["EVAL", s, "1", "k"]),
        err("ERR Error compiling script (new function): user_script:1: unexpected symbol near '#'")
    );
}
