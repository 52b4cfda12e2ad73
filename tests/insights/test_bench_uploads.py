"""The uploads benchmark streams a real multipart POST to a real server and reads its memory."""

from pcref.insights.bench_uploads import MIB, uploads_benchmark


def test_an_upload_through_a_real_server_is_stored_and_its_memory_measured(tmp_path):
    size = 48 * MIB + 123  # not a whole number of chunks
    figures = uploads_benchmark(size, tmp_path)

    assert figures["status"] == 302, figures["refusal"]
    assert figures["location"].startswith("/staff/insights/uploads/")
    assert figures["upload_page_status"] == 200
    assert (figures["outcome"], figures["stored_bytes"]) == ("stored", size)
    assert figures["seconds"] > 0 and figures["mb_per_s"] > 0
    assert 0 < figures["server_rss_before_mb"] <= figures["server_peak_rss_mb"]
    # Streamed to disk: the server's peak grows by far less than the file.
    assert figures["server_peak_rss_mb"] - figures["server_rss_before_mb"] < 24
    assert figures["client_peak_rss_mb"] > 0
    assert list(tmp_path.iterdir()) == []  # the throwaway site is removed
