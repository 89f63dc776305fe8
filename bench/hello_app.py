"""The floor of this machine: a FastAPI hello-world, for bench/checkout.py to measure in the same
run (BENCHMARKS.md's reference figures include one)."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
