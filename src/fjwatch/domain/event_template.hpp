#pragma once
// The log action's templates: placeholders for an event's fields.
#include "fjwatch/domain/event.hpp"
#include "fjwatch/util/result.hpp"

#include <string>
#include <string_view>

namespace fjwatch {

// Log templates: {event} {event_id} {session_id} {label} {title} {project} {status} {matched}
// {total_for_matching} {available} {search_more_counter}. "{{" and "}}" are literal braces.
// Returns an error naming the first unknown placeholder or unbalanced brace.
result<void> check_template(std::string_view tmpl);
// Renders a template checked by check_template from an event's fields (never from a serialised
// payload: what a template shows does not depend on the body's format). A null status or label
// renders empty.
std::string render_template(std::string_view tmpl, event_type type, std::string_view event_id,
                            const event_fields& fields);

}  // namespace fjwatch
