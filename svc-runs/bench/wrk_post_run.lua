-- wrk script: POST /api/runs with a small inputs object (no compute), the
-- token and tenant from the environment (BENCH_TOKEN, BENCH_TENANT).
wrk.method = "POST"
wrk.body = '{"inputs":{"ticker":"BENCH","revenue":500,"wacc":0.09,"years":7}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["X-Tenant-ID"] = os.getenv("BENCH_TENANT")
