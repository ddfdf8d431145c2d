"""Request bodies of the REST API (pydantic models; their names and field descriptions are
the OpenAPI description's)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from retold.web.params import MAX_ID


class ArticleIn(BaseModel):
    """One article: ``text`` (plain, Markdown or HTML) or ``url`` (fetched)."""

    text: str | None = Field(None, description="Article text (plain, Markdown or HTML).")
    url: str | None = Field(None, description="http(s) URL of the article page to fetch.")
    title: str | None = None


class CompareIn(BaseModel):
    source: ArticleIn
    retelling: ArticleIn
    judge: str | None = Field(None, description="Claim judge (default: the server's).")


class StoredArticleIn(BaseModel):
    text: str
    title: str = ""
    url: str = ""
    site: str = ""
    published: str = ""
    author: str = ""


class IngestIn(BaseModel):
    urls: list[str] = Field(default_factory=list, max_length=10_000)
    articles: list[StoredArticleIn] = Field(default_factory=list, max_length=10_000)
    paths: list[str] = Field(
        default_factory=list,
        max_length=1_000,
        description="Files or folders under the server's --files folder.",
    )
    map: str | None = Field(None, description="Dataset columns, e.g. text=body,title=headline")


class StyleIn(BaseModel):
    articles: list[ArticleIn] = Field(..., min_length=1, max_length=50)


class SourceIn(BaseModel):
    article: int = Field(
        ..., ge=0, le=MAX_ID, description="Stored id of the member to make the source."
    )


class AuditIn(BaseModel):
    judge: str | None = None
