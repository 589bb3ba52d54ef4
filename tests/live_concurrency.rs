//! Probes of different URLs go out together: against a server that takes
//! 300 ms for every answer, the live stage takes about as long as its
//! slowest chain of requests to one URL (the first request, then the home
//! page and the WAF probe, which share a URI), not the sum of all requests.

use std::time::Duration;

use portcullis::live::{LiveOptions, Prober, SiteTarget};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const DELAY: Duration = Duration::from_millis(300);

async fn slow_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 4096];
                let _ = stream.read(&mut buffer).await;
                tokio::time::sleep(DELAY).await;
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    )
                    .await;
                let _ = stream.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stage_takes_as_long_as_its_slowest_chain_not_the_sum() {
    let port = slow_server().await;
    // Plain HTTP stands in for the site's address: the timing is what is
    // measured here (the TLS hellos fail at once on a plain port).
    let site =
        SiteTarget { https: format!("http://127.0.0.1:{port}/").parse().expect("URL"), http: None };
    let mut options = LiveOptions::new(vec![site]);
    options.timeout = Duration::from_secs(5);
    options.pace = Duration::from_millis(50);
    let report = Prober::new(options).expect("prober").run().await;

    let site = &report.sites[0];
    let mut all = vec![&site.home, &site.login, &site.not_found, &site.static_not_found, &site.waf];
    all.extend(&site.listings);
    let answered = all.iter().filter(|e| e.response().is_some()).count();
    assert_eq!(answered, all.len(), "every request was answered");
    let sum_ms: u64 = all.iter().filter_map(|e| e.response()).map(|r| r.elapsed_ms).sum();
    // Slowest chain: first request, home page, WAF probe: 3 × 300 ms.
    let chain_ms = 3 * u64::try_from(DELAY.as_millis()).expect("small");
    eprintln!(
        "live stage: {} ms; slowest chain {chain_ms} ms; {} requests added up {sum_ms} ms",
        report.elapsed_ms,
        all.len()
    );
    assert!(sum_ms >= 7 * 300, "the requests themselves took {sum_ms} ms");
    assert!(
        report.elapsed_ms < chain_ms + 500,
        "the stage took {} ms: it should take about its slowest chain ({chain_ms} ms), not the sum ({sum_ms} ms)",
        report.elapsed_ms
    );
}
