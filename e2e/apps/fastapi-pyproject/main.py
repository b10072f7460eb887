import asyncio

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def index() -> dict[str, str]:
    return {"framework": "fastapi"}


@app.get("/sleep")
async def sleep() -> dict[str, str]:
    await asyncio.sleep(0.05)
    return {"slept": "50ms"}
