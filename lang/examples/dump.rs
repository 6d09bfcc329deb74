fn main() {
    let path = std::env::args().nth(1).expect("path");
    let text = std::fs::read_to_string(path).expect("read");
    let parse = ward_lang::parse(&text);
    for e in &parse.errors {
        println!(
            "ERROR {:?} {} {:?} {:?}",
            e.range,
            e.message,
            e.help,
            &text[e.range.as_usize()]
        );
    }
    for item in &parse.file.items {
        println!("{:#?}", item);
    }
    println!("{} comments", parse.file.comments.len());
}
