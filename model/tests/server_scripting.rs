//! EVAL conformance, the script itself: how Lua values become replies and replies Lua values,
//! the errors of `redis.call` / `redis.pcall`, runtime and compile errors. The script cache,
//! the commands a script may not call and a script's effect on WATCH are in
//! `server_scripting_commands.rs`. Every expected reply (SHA1s and error texts included) was
//! copied from a real Redis 7.0.15 (`redis-cli --no-raw eval "…" 0`).

mod common;
use common::*;
use model::scripting::sha1_hex;

// ---------------------------------------------------------------- Lua -> reply conversions

#[test]
fn numbers_truncate_to_integers() {
    let mut r = Redis::new();
    expect_eval(&mut r, "return 3.9", int(3));
    expect_eval(&mut r, "return -3.9", int(-3));
    expect_eval(&mut r, "return 1e15", int(1_000_000_000_000_000));
    expect_eval(&mut r, "return '1e15'", bulk("1e15"));
    // Out of the i64 range: C's cast gives i64::MIN on x86-64.
    expect_eval(&mut r, "return 1e20", int(i64::MIN));
    expect_eval(&mut r, "return -1e20", int(i64::MIN));
}

#[test]
fn booleans_and_nil() {
    let mut r = Redis::new();
    expect_eval(&mut r, "return true", int(1));
    expect_eval(&mut r, "return false", nil());
    expect_eval(&mut r, "return nil", nil());
    expect_eval(&mut r, "return 'str'", bulk("str"));
}

#[test]
fn err_and_ok_tables() {
    let mut r = Redis::new();
    expect_eval(&mut r, "return {err='My Error'}", err("My Error"));
    expect_eval(&mut r, "return {err='oops'}", err("oops"));
    expect_eval(&mut r, "return {ok='FINE'}", status("FINE"));
    expect_eval(&mut r, "return {err='x', ok='y'}", err("x"));
    // Non-string err/ok fields make an ordinary (here empty) array.
    expect_eval(&mut r, "return {ok=5}", arr(vec![]));
    expect_eval(&mut r, "return {err=5}", arr(vec![]));
}

#[test]
fn error_reply_and_status_reply() {
    let mut r = Redis::new();
    expect_eval(&mut r, "return redis.error_reply('oops')", err("ERR oops"));
    expect_eval(
        &mut r,
        "return redis.error_reply('my bad thing')",
        err("my bad thing"),
    );
    expect_eval(&mut r, "return redis.error_reply('-X y')", err("X y"));
    expect_eval(&mut r, "return redis.error_reply('-oops')", err("ERR oops"));
    expect_eval(&mut r, "return redis.status_reply('DONE')", status("DONE"));
}

#[test]
fn arrays_cut_at_first_nil_and_nest() {
    let mut r = Redis::new();
    expect_eval(&mut r, "return {1,2,nil,4}", arr(vec![int(1), int(2)]));
    expect_eval(
        &mut r,
        "return {1,{2,{'x',false}},true,3.5}",
        arr(vec![
            int(1),
            arr(vec![int(2), arr(vec![bulk("x"), nil()])]),
            int(1),
            int(3),
        ]),
    );
    expect_eval(
        &mut r,
        "return {1, 'a', {ok='S'}, {err='E x'}}",
        arr(vec![int(1), bulk("a"), status("S"), err("E x")]),
    );
}

// ---------------------------------------------------------------- reply -> Lua conversions

#[test]
fn nil_bulk_is_false_and_status_is_a_table() {
    let mut r = Redis::new();
    expect_eval(&mut r, "return redis.call('get','nokey') == false", int(1));
    expect_eval(&mut r, "return redis.call('get','nokey')", nil());
    expect_eval(&mut r, "return redis.call('ping')", status("PONG"));
    expect_eval(&mut r, "return type(redis.call('ping'))", bulk("table"));
    expect_eval(&mut r, "return redis.call('ping').ok", bulk("PONG"));
    expect_eval(&mut r, "return redis.pcall('Ping')", status("PONG"));
}

#[test]
fn keys_and_argv() {
    let mut r = Redis::new();
    let s = "return {KEYS[1], ARGV[1], #KEYS, #ARGV}";
    r.expect(
        A,
        &["EVAL", s, "2", "k1", "k2", "a1"],
        arr(vec![bulk("k1"), bulk("a1"), int(2), int(1)]),
    );
    r.expect(
        A,
        &["EVAL", s, "1", "x", "y", "z"],
        arr(vec![bulk("x"), bulk("y"), int(1), int(2)]),
    );
    // KEYS[1] is nil: the array is cut at once.
    r.expect(A, &["EVAL", s, "0", "a", "b"], arr(vec![]));
}

#[test]
fn lua_numbers_as_command_arguments_use_17_significant_digits() {
    let mut r = Redis::new();
    for (arg, stored) in [
        ("1e15", "1000000000000000"),
        ("1e14", "100000000000000"),
        ("1.5", "1.5"),
        ("100", "100"),
        ("-0.5", "-0.5"),
        ("1/3", "0.33333333333333331"),
        ("1/0", "inf"),
        ("2^53", "9007199254740992"),
        ("1234567890123456", "1234567890123456"),
    ] {
        let script = format!("redis.call('set','n',{arg}) return redis.call('get','n')");
        expect_eval(&mut r, &script, bulk(stored));
    }
    // Lua's own tostring uses 14 digits.
    expect_eval(&mut r, "return tostring(1e15)", bulk("1e+15"));
}

#[test]
fn non_string_arguments_are_refused() {
    let mut r = Redis::new();
    let msg = "ERR Lua redis lib command arguments must be strings or integers";
    expect_eval(&mut r, "return redis.pcall('get', true)", err(msg));
    expect_eval(
        &mut r,
        "return redis.call('get', {})",
        err(&format!(
            "{msg} script: 4368e88f98d93af9caf358186e5fbf273374ee91, on @user_script:1."
        )),
    );
    expect_eval(
        &mut r,
        "return redis.call('get', nil)",
        err(&format!(
            "{msg} script: c08fc0abeafdf57380190a28c88ba671c0d91403, on @user_script:1."
        )),
    );
}

// ---------------------------------------------------------------- redis.call / redis.pcall errors

#[test]
fn pcall_returns_the_error_as_a_table() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "s", "str"], ok());
    expect_eval(&mut r, "return redis.pcall('incr','s')", err(NOT_INT));
    expect_eval(&mut r, "return type(redis.pcall('foo'))", bulk("table"));
    expect_eval(
        &mut r,
        "return redis.pcall('foo')",
        err("ERR Unknown Redis command called from script"),
    );
    expect_eval(
        &mut r,
        "return redis.pcall('get')",
        err("ERR Wrong number of args calling Redis command from script"),
    );
    expect_eval(
        &mut r,
        "return redis.pcall()",
        err("ERR Please specify at least one argument for this redis lib call"),
    );
    r.expect(A, &["GET", "s"], bulk("str"));
}

#[test]
fn call_errors_carry_the_script_and_line() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "s", "str"], ok());
    let script = "return redis.call('incr','s')";
    assert_eq!(sha1_hex(script), "c243b9f46db13ba8f69da41b45a77708832babed");
    expect_eval(
        &mut r,
        script,
        err("ERR value is not an integer or out of range script: c243b9f46db13ba8f69da41b45a77708832babed, on @user_script:1."),
    );
    expect_eval(
        &mut r,
        "return redis.call('lpush','s','x')",
        err("WRONGTYPE Operation against a key holding the wrong kind of value script: 1bae58f5987a5f51b4735899cd21a9fd9c5bd4db, on @user_script:1."),
    );
    expect_eval(
        &mut r,
        "return redis.call('foo')",
        err("ERR Unknown Redis command called from script script: cc78c5a793d041f28ab0f6b117a82d1428ccfd13, on @user_script:1."),
    );
    expect_eval(
        &mut r,
        "return redis.call('get')",
        err("ERR Wrong number of args calling Redis command from script script: f187dee77f607f7cff00bbabc9df38507582c78d, on @user_script:1."),
    );
    expect_eval(
        &mut r,
        "return redis.call()",
        err("ERR Please specify at least one argument for this redis lib call script: 0a907e1429221a4d85516cab7fd219a82a9439d8, on @user_script:1."),
    );
}

#[test]
fn call_errors_in_multi_line_scripts_name_the_failing_line() {
    let mut r = Redis::new();
    r.expect(A, &["SET", "s", "str"], ok());
    expect_eval(
        &mut r,
        "local a = 1\nlocal b = 2\nreturn redis.call('incr','s')",
        err("ERR value is not an integer or out of range script: 94b0a6d33e4808ca463137476bc5b74cdab7860c, on @user_script:3."),
    );
    // The successful call on line 3 does not count; the failing one is on line 4.
    expect_eval(
        &mut r,
        "local a = 1\n\nlocal x = redis.call('get','s')\nredis.call('incr','s')\nreturn x",
        err("ERR value is not an integer or out of range script: b74ace38ceab39745f61b43cc4f53396ad1cb537, on @user_script:4."),
    );
}

#[test]
fn pcall_of_redis_call_gives_the_message_string() {
    // Redis 7 wraps pcall: an error table raised by redis.call arrives as its message.
    let mut r = Redis::new();
    r.expect(A, &["SET", "s", "str"], ok());
    expect_eval(
        &mut r,
        "local ok, e = pcall(redis.call, 'incr', 's') return {tostring(ok), type(e), tostring(e)}",
        bulks(&["false", "string", NOT_INT]),
    );
    expect_eval(
        &mut r,
        "local ok, e = pcall(function() return redis.call('incr','s') end) return e",
        bulk(NOT_INT),
    );
    expect_eval(
        &mut r,
        "local ok, e = pcall(function() return redis.call('incr','s') end) error(e)",
        err("ERR user_script:1: ERR value is not an integer or out of range script: b221cb8ef7830513aa18d5f720ee7d8cd8f4e9aa, on @user_script:1."),
    );
    expect_eval(
        &mut r,
        "local ok, e = pcall(error, {err='X y'}) return e",
        bulk("X y"),
    );
    expect_eval(
        &mut r,
        "local ok, e = pcall(error, {foo=1}) return type(e)",
        bulk("table"),
    );
    expect_eval(
        &mut r,
        "local ok, e = pcall(function() error('x') end) return e",
        bulk("user_script:1: x"),
    );
    expect_eval(
        &mut r,
        "return {pcall(function() return 1, nil, 3 end)}",
        arr(vec![int(1), int(1)]),
    );
    expect_eval(
        &mut r,
        "return select('#', pcall(function() return 1, nil, nil end))",
        int(4),
    );
}

// ---------------------------------------------------------------- runtime and compile errors

#[test]
fn runtime_errors() {
    let mut r = Redis::new();
    expect_eval(
        &mut r,
        "return nil + 1",
        err("ERR user_script:1: attempt to perform arithmetic on a nil value script: d13bc48d895ba57f297c4db70c1d256548a54e2d, on @user_script:1."),
    );
    expect_eval(
        &mut r,
        "local x\n\nreturn x + 1",
        err("ERR user_script:3: attempt to perform arithmetic on local 'x' (a nil value) script: 81a07e547f7c76818773e5a6caae20b45060b5e5, on @user_script:3."),
    );
    expect_eval(
        &mut r,
        "return ARGV[1] + 1",
        err("ERR user_script:1: attempt to perform arithmetic on field '?' (a nil value) script: 84834ee62a493ae7cb74fa5841a3a02222e583ba, on @user_script:1."),
    );
    expect_eval(
        &mut r,
        "local t = nil; return t.x",
        err("ERR user_script:1: attempt to index local 't' (a nil value) script: e62b17c4a64e9b74a6f9be57909ea9e2d0e66784, on @user_script:1."),
    );
}

#[test]
fn error_function() {
    let mut r = Redis::new();
    expect_eval(
        &mut r,
        "error('boom')",
        err("ERR user_script:1: boom script: 82903a0434f1503e152f89c03c9acd881a0e8150, on @user_script:1."),
    );
    expect_eval(
        &mut r,
        "error('boom', 0)",
        err("ERR boom script: 90724e16396e5864c1184910ba6d7440461cee4f, on @user_script:1."),
    );
    expect_eval(
        &mut r,
        "error({err='CUSTOM thing'})",
        err("CUSTOM thing script: e66aa8534b0a1e32981e2a95aa5b6f619bc8ac68, on @user_script:1."),
    );
}

#[test]
fn compile_errors() {
    let mut r = Redis::new();
    let e = err(
        "ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'",
    );
    expect_eval(&mut r, "return (", e.clone());
    expect_eval(&mut r, "return 1 +", e.clone());
    r.expect(A, &["SCRIPT", "LOAD", "return ("], e);
    expect_eval(
        &mut r,
        "local a = 1\nreturn ((",
        err("ERR Error compiling script (new function): user_script:2: unexpected symbol near '<eof>'"),
    );
    // numkeys is checked before the script is compiled.
    r.expect(
        A,
        &["EVAL", "return (", "-1"],
        err("ERR Number of keys can't be negative"),
    );
    // A script that failed to compile is not cached.
    r.expect(
        A,
        &["SCRIPT", "EXISTS", &sha1_hex("return (")],
        arr(vec![int(0)]),
    );
}
