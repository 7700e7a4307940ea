"""Models, tools and agents that the CLI tests name as ``module:attribute``."""

from __future__ import annotations

from agentkit import Agent, Usage, tool
from agentkit.testing import FunctionModel, ScriptedModel, call, reasoning, response, text


@tool(side_effect="pure")
def get_weather(city: str) -> dict[str, object]:
    """Current weather for a city.

    Args:
        city: City name.
    """
    return {"city": city, "temp_c": 21, "sky": "clear"}


@tool(side_effect="pure", secret_args=["password"])
def login(user: str, password: str) -> str:
    """Log in to the weather service.

    Args:
        user: User name.
        password: The user's password.
    """
    return f"logged in as {user}"


def broken(city: str) -> str:
    """A tool that always fails."""
    raise ConnectionError(f"weather service for {city} is down")


def weather_model() -> ScriptedModel:
    """A two-step run: reasoning and a tool call, then the answer."""
    return ScriptedModel(
        [
            response(
                reasoning("The user wants the weather in Paris; I should call get_weather."),
                call("get_weather", city="Paris", id="call_1"),
                usage=Usage(input_tokens=120, output_tokens=40, reasoning_tokens=25, cost_usd=0.0012),
            ),
            response(
                text("It is 21 °C and clear in Paris."),
                usage=Usage(input_tokens=180, output_tokens=12, cost_usd=0.0008),
            ),
        ]
    )


def failing_model() -> ScriptedModel:
    """Calls a broken tool until the retry limit ends the run."""
    return ScriptedModel([call("broken", city="Paris", id=f"call_{i}") for i in range(5)])


def login_model() -> ScriptedModel:
    """Uses a tool with a secret argument."""
    return ScriptedModel([call("login", user="ada", password="hunter2-secret-value", id="call_1"), text("Logged in.")])


def weather_agent() -> Agent[None, str]:
    """An agent with its own model and tools."""
    return Agent(weather_model(), instructions="You report the weather.", tools=[get_weather])


not_a_model = 42


API_KEY = "sk-test-e2e-0123456789abcdefghij"
BEARER = "tok_live_ABCDEFGH12345678"
PASSWORD = "hunter2-correct-horse"
SECRETS = (API_KEY, BEARER, PASSWORD)


@tool(side_effect="pure")
def http_debug(url: str) -> str:
    """Shows the request a client would send (headers included, as debugging tools do).

    Args:
        url: Address to call.
    """
    return f"GET {url}\nAuthorization: Bearer {BEARER}\nX-Api-Key: {API_KEY}"


def secrets_model() -> ScriptedModel:
    """Logs in with a secret password, then looks at a request with credentials in its headers."""
    return ScriptedModel(
        [
            response(
                reasoning("I'll log in first."),
                call("login", user="ada", password=PASSWORD, id="call_login"),
            ),
            call("http_debug", url="https://api.example.com/v1/data", id="call_debug"),
            text("Logged in; the request is authorised."),
        ]
    )


def interrupted_model() -> FunctionModel:
    """A model request that the user interrupts with Ctrl-C."""

    def press_ctrl_c(messages: object, info: object) -> str:
        raise KeyboardInterrupt

    return FunctionModel(press_ctrl_c)
