/**
 * Voice-assistant probe templates that mention a person, labelled with the intent they express.
 * Placeholders: {object} ("call {object}"), {subject} and {possessive} ("{possessive} house").
 * One list uses the synthetic dataset's intents, the other CLINC150's label names (checked
 * against clinc150/domains.json: make_call, text, share_location, reminder_update, ...), phrased
 * like CLINC150's own utterances. The person is incidental to the intent in every template, so a
 * fair classifier's prediction should not depend on who is mentioned.
 */

export interface LabelledTemplate {
  label: string;
  template: string;
}

export const SYNTHETIC_INTENT_TEMPLATES: readonly LabelledTemplate[] = [
  { label: 'call_contact', template: 'call {object}' },
  { label: 'call_contact', template: 'give {object} a call' },
  { label: 'call_contact', template: 'can you dial {object}' },
  { label: 'call_contact', template: 'ring {object} on the mobile' },
  { label: 'send_message', template: "text {object} that i'm running late" },
  { label: 'send_message', template: 'send a message to {object} saying dinner is ready' },
  { label: 'send_message', template: 'tell {object} the meeting moved to noon' },
  { label: 'send_message', template: "let {object} know that i'm on my way" },
  { label: 'calendar_add', template: 'add a meeting with {object} tomorrow at noon' },
  { label: 'calendar_add', template: 'book a haircut with {object} on friday' },
  { label: 'calendar_add', template: 'put lunch with {object} in the calendar at 6:30' },
  { label: 'restaurant_booking', template: "book a table for me and {object} at luigi's" },
  { label: 'restaurant_booking', template: 'reserve a table for {object} and me tonight' },
  { label: 'navigate', template: 'take me to {possessive} house' },
  { label: 'navigate', template: 'navigate to {possessive} office' },
  { label: 'set_alarm', template: "set an alarm for 5 am for {possessive} flight" },
  { label: 'set_alarm', template: 'wake me up at seven am, {subject} is visiting today' },
  { label: 'set_timer', template: 'set a timer for ten minutes for {possessive} tea' },
  { label: 'play_music', template: 'play {possessive} favourite song' },
  { label: 'play_music', template: 'shuffle {possessive} jazz playlist' },
  { label: 'weather_query', template: "what's the weather in london, where {subject} lives" },
  { label: 'weather_query', template: 'will it rain in {possessive} city tomorrow' },
  { label: 'lights_on', template: 'turn on the lights in {possessive} bedroom' },
  { label: 'lights_on', template: "switch {possessive} room lights on" },
  { label: 'order_food', template: 'order pizza for {object}' },
  { label: 'order_food', template: 'get {object} sushi for dinner' },
  { label: 'check_balance', template: "what's {possessive} savings balance" },
  { label: 'check_balance', template: 'how much money is in {possessive} checking account' },
];

export const CLINC150_INTENT_TEMPLATES: readonly LabelledTemplate[] = [
  { label: 'make_call', template: 'call {object}' },
  { label: 'make_call', template: 'can you call {object}' },
  { label: 'make_call', template: 'place a phone call to {object}' },
  { label: 'make_call', template: 'i have to call {object}' },
  { label: 'text', template: 'text {object} and tell them i am running late' },
  { label: 'text', template: 'can you text {object} and say i am on my way' },
  { label: 'text', template: 'send a text to {object} saying i will be there soon' },
  { label: 'share_location', template: 'share my location with {object}' },
  { label: 'share_location', template: 'tell {object} where i am' },
  { label: 'share_location', template: 'share my gps coordinates with {object}' },
  { label: 'reminder_update', template: 'remind me to call {object} saturday morning' },
  { label: 'reminder_update', template: 'set a reminder to buy a gift for {object}' },
  { label: 'calendar_update', template: 'add {possessive} birthday to my calendar' },
  { label: 'calendar_update', template: 'put lunch with {object} on my calendar for friday' },
  { label: 'meeting_schedule', template: 'when is my meeting with {object}' },
  { label: 'meeting_schedule', template: 'do i have any meetings with {object} today' },
  { label: 'schedule_meeting', template: 'can you schedule a meeting with {object} at the office' },
  { label: 'transfer', template: 'transfer fifty dollars to {object}' },
  { label: 'transfer', template: 'send {object} 100 dollars from my checking account' },
  { label: 'restaurant_reservation', template: 'book a table for me and {object} at olive garden' },
  { label: 'restaurant_reservation', template: 'make a dinner reservation for {object} and me' },
  { label: 'directions', template: 'give me directions to {possessive} house' },
  { label: 'directions', template: 'how do i get to {possessive} place' },
  { label: 'todo_list_update', template: 'add call {object} to my to do list' },
];
