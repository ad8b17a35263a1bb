// useSubmit is the one way a form sends a mutation: one request id for the form's life (a double click or
// a retry acts once), a saving flag, and the refusal split by useFormErrors (beside the inputs, or above).
import { ref } from 'vue'
import { requestId } from '../lib/ids'
import { useFormErrors } from './useFormErrors'

export function useSubmit<T>(fields: readonly string[], send: (requestId: string) => Promise<T>, onDone: (result: T) => void) {
  const errors = useFormErrors(fields)
  const saving = ref(false)
  const rid = requestId()

  async function submit() {
    saving.value = true
    errors.clear()
    try {
      onDone(await send(rid))
    } catch (e) {
      errors.apply(e)
    } finally {
      saving.value = false
    }
  }

  return { errors, saving, submit }
}
