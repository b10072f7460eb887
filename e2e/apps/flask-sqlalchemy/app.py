"""Flask + SQLAlchemy on DATABASE_URL, unchanged (postgresql://...; SQLAlchemy 2.1
connects with psycopg 3 for that scheme, 2.0 with psycopg2)."""

import os

from flask import Flask, request
from sqlalchemy import Column, Integer, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Session

engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)


app = Flask(__name__)


@app.route("/items", methods=["GET", "POST"])
def items():
    with Session(engine) as session:
        if request.method == "POST":
            session.add(Item(name=request.form["name"]))
            session.commit()
        return "".join(f"{i.name}\n" for i in session.scalars(select(Item).order_by(Item.id)))


@app.route("/")
def index():
    return f"items on {engine.dialect.name}\n"


if __name__ == "__main__":  # the release phase: create the tables
    Base.metadata.create_all(engine)
