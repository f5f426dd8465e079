"""A small GraphQL sign-in API on graphql-core (the reference implementation's Python port),
shared by the GraphQL lab targets: `mutation { login(username, password) { token } }` at
POST /graphql, every failure answered HTTP 200 with an `errors` entry on the call and a null
payload, as GraphQL servers do. Introspection and aliases are graphql-core's defaults (on);
an array body is a batch of operations. `on_attempt` (called once per `login` call, with the
client address) may raise a GraphQLError to throttle.
"""

import hmac

from flask import Flask, jsonify, request
from graphql import GraphQLError, build_schema, graphql_sync

SDL = """
type Query { viewer: String }
type LoginPayload { token: String }
type Mutation { login(username: String!, password: String!): LoginPayload }
"""

USERS = {"admin": "Tr0ub4dor&3", "alice": "s3cr3t"}


def make_app(on_attempt=lambda addr: None, on_request=None):
    """The Flask app; `on_request(app)` may decorate the view (a request limiter)."""
    app = Flask(__name__)
    schema = build_schema(SDL)

    def login(_root, info, username, password):
        on_attempt(info.context["addr"])
        want = USERS.get(username)
        if want is None or not hmac.compare_digest(want.encode(), password.encode()):
            raise GraphQLError("Invalid username or password")
        return {"token": "t-" + username}

    schema.mutation_type.fields["login"].resolve = login

    def run(op):
        if not isinstance(op, dict) or not isinstance(op.get("query"), str):
            return {"errors": [{"message": "Must provide query string."}]}
        result = graphql_sync(
            schema,
            op["query"],
            variable_values=op.get("variables"),
            context_value={"addr": request.remote_addr},
        )
        out = {}
        if result.errors:
            out["errors"] = [e.formatted for e in result.errors]
        if result.data is not None or not result.errors:
            out["data"] = result.data
        return out

    def view():
        body = request.get_json(silent=True)
        if isinstance(body, list):
            return jsonify([run(op) for op in body[:50]])
        return jsonify(run(body))

    view = view if on_request is None else on_request(app, view)
    app.add_url_rule("/graphql", "graphql", view, methods=["POST"])
    return app
