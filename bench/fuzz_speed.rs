fn main() {
    let mut inputs = Vec::new();
    for dir in std::env::args().skip(1) {
        for e in std::fs::read_dir(dir).unwrap() {
            inputs.push(std::fs::read(e.unwrap().path()).unwrap());
        }
    }
    for round in 0..3 {
        let t = std::time::Instant::now();
        for (i, data) in inputs.iter().enumerate() {
            let t1 = std::time::Instant::now();
            fmc::fuzzing::exercise(data);
            let el = t1.elapsed().as_millis();
            if el > 20 && round == 1 {
                eprintln!("slow input {i} mode {} {} ms len {}", data[0] % 3, el, data.len());
            }
        }
        eprintln!("round {round}: {} inputs in {:?}", inputs.len(), t.elapsed());
    }
}
