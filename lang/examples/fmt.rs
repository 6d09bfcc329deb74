fn main() {
    let path = std::env::args().nth(1).expect("path");
    let text = std::fs::read_to_string(path).expect("read");
    match ward_lang::format(&text) {
        Ok(t) => print!("{t}"),
        Err(e) => println!("ERR {e} {:?}", e.errors),
    }
}
